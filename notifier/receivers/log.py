"""Alerts as log lines (``yujing.alerts``): the embedded default, no service needed."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from yujing import config as cfg
from yujing.alerts import AlertEvent, EventKind

from ..format import one_line
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

    def send(self, event: AlertEvent) -> None:
        level = logging.INFO if event.event is EventKind.RESOLVED else logging.WARNING
        ALERT_LOG.log(level, "%s [%s]", one_line(event.to_dict(), self.names), event.id)
