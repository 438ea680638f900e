"""Alerts appended to a JSON-lines file: a journal that survives the process and greps well."""

from __future__ import annotations

from yujing import config as cfg
from yujing.alerts import AlertEvent

from ..journal import Journal
from . import ReceiverContext

__all__ = ["FileReceiver"]


class FileReceiver:
    def __init__(self, conf: cfg.FileReceiver):
        self.conf = conf
        self.path = conf.path
        self.journal = Journal(conf.path)

    @classmethod
    def from_config(cls, conf: cfg.FileReceiver, context: ReceiverContext) -> FileReceiver:
        return cls(conf)

    def send(self, event: AlertEvent) -> None:
        self.journal.append(event.to_dict())
