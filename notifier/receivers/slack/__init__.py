"""Notifications to Slack: one conversation per wave with a bot token (``conversation``), or one
message per notification through an incoming webhook (``webhook``)."""

from __future__ import annotations

from .common import EVENT_TYPE, event_key, handling_key
from .conversation import SlackReceiver
from .webhook import SlackWebhookReceiver

__all__ = ["SlackReceiver", "SlackWebhookReceiver", "EVENT_TYPE", "event_key", "handling_key"]
