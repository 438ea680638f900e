"""Alerts as log lines (``yujing.alerts``): the embedded default, no service needed."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from yujing import config as cfg

from ..notification import Notification
from ..render import notification_line, notification_view
from . import ReceiverContext

__all__ = ["LogReceiver"]

ALERT_LOG = logging.getLogger("yujing.alerts")


class LogReceiver:
    def __init__(self, conf: cfg.LogReceiver, *, names: Mapping[str, str] | None = None):
        self.conf = conf
        self.names = dict(names or {})

    @classmethod
    def from_config(cls, conf: cfg.LogReceiver, context: ReceiverContext) -> LogReceiver:
        return cls(conf, names=context.names)

    def send(self, notification: Notification) -> None:
        # A warning while something fires and is news; a resolution or a handling is information.
        news = notification.status == "firing" and notification.handling is None
        level = logging.WARNING if news else logging.INFO
        ALERT_LOG.log(
            level, "%s", notification_line(notification_view(notification, names=self.names))
        )
