"""Notifications appended to a JSON-lines file, one line each (``Notification.to_dict``: the
group's key and labels, its status and its alerts), a record that survives the process."""

from __future__ import annotations

from yujing import config as cfg

from ..journal import Journal
from ..notification import Notification
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

    def send(self, notification: Notification) -> None:
        self.journal.append(notification.to_dict())
