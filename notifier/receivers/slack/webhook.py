"""Slack through an incoming webhook: each notification a message of its own (no edits, no thread;
a lost answer may give a copy)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from urllib.error import URLError

from slack_sdk.errors import SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from yujing import config as cfg

from ...notification import Notification
from ...render import SHANGHAI, notification_view
from ...render import slack as render
from .. import RetryLater
from .common import retry_after

__all__ = ["SlackWebhookReceiver"]


class SlackWebhookReceiver:
    """Each notification as a message of its own through an incoming webhook: no edits, no
    thread."""

    def __init__(
        self,
        conf: cfg.SlackReceiver,
        *,
        tz: tzinfo = SHANGHAI,
        names: Mapping[str, str] | None = None,
        timeout: int = 10,
    ):
        assert conf.webhook_url
        self.conf = conf
        self.tz = tz
        self.names = dict(names or {})
        self.client = WebhookClient(
            conf.webhook_url,
            timeout=timeout,
            retry_handlers=[ConnectionErrorRetryHandler(error_types=[URLError])],
        )

    def send(self, notification: Notification) -> None:
        body = render.notification(notification_view(notification, tz=self.tz, names=self.names))
        answer = self.client.send_dict(body)
        if answer.status_code == 429:
            raise RetryLater(
                f"slack webhook {self.conf.name} rate limited", retry_after(answer.headers)
            )
        if answer.status_code != 200:
            # The body names the problem: invalid_payload, channel_is_archived, no_service...
            raise SlackRequestError(
                f"slack webhook {self.conf.name} answered {answer.status_code}: {answer.body}"
            )
