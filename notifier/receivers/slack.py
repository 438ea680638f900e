"""Notifications to a Slack channel through slack-sdk's ``chat.postMessage``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from yujing import config as cfg

from ..format import SHANGHAI
from ..messages import render_notification
from ..notification import Notification
from . import ReceiverContext, RetryLater

__all__ = ["SlackReceiver"]


class SlackReceiver:
    def __init__(
        self,
        conf: cfg.SlackReceiver,
        *,
        tz: tzinfo = SHANGHAI,
        names: Mapping[str, str] | None = None,
        timeout: int = 10,
    ):
        self.conf = conf
        self.tz = tz
        self.names = dict(names or {})
        base_url = conf.base_url or WebClient.BASE_URL
        # slack_sdk joins method names onto base_url, which therefore must end with "/".
        self.client = WebClient(
            token=conf.token, base_url=base_url.rstrip("/") + "/", timeout=timeout
        )

    @classmethod
    def from_config(cls, conf: cfg.SlackReceiver, context: ReceiverContext) -> SlackReceiver:
        return cls(conf, tz=context.tz, names=context.names)

    def send(self, notification: Notification) -> None:
        message = render_notification(notification, tz=self.tz, names=self.names)
        try:
            self.client.chat_postMessage(
                channel=self.conf.channel, text=message.text, blocks=message.blocks
            )
        except SlackApiError as exc:
            if exc.response.get("error") == "ratelimited" or exc.response.status_code == 429:
                raise RetryLater(
                    f"slack rate limited {self.conf.channel}", _retry_after(exc.response.headers)
                ) from exc
            raise


def _retry_after(headers: Mapping[str, Any]) -> float:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(1.0, float(value))
            except (TypeError, ValueError):
                break
    return 60.0  # Slack always sends the header; if not, a minute is its usual window
