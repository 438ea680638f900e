"""Outbox: write each group's notices as one notification, a durable row for delivery
(``Notifier.deliver_due``), and log what the receiver was told.

The store is used through two small protocols: ``Outbox`` (write a row) and ``Log`` (the
notification log, read by the dedup stage through ``StoreLog``). Both are written in the flush's
transaction: a row is queued if and only if it is logged as told.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from yujing.alerts import EventKind

from ..notification import Notification
from .base import Notice
from .dedup import Sent

__all__ = ["Outbox", "Log", "StoreLog", "OutboxStage"]


class Outbox(Protocol):
    def enqueue(self, receiver: str, payload: dict[str, Any], at: datetime | None = None) -> int:
        """Write one row for ``receiver``, due ``at``; returns its id."""
        ...


class Log(Protocol):
    def record(
        self, receiver: str, told: Iterable[tuple[str, str, datetime]], outbox_id: int
    ) -> None: ...

    def sent(self, receiver: str, alert_id: str) -> list[tuple[str, datetime]]: ...


class StoreLog:
    """The notification log as the dedup stage reads it."""

    def __init__(self, log: Log):
        self.log = log

    def sent(self, receiver: str, alert_id: str) -> list[Sent]:
        out = []
        for kind, at in self.log.sent(receiver, alert_id):
            try:
                out.append(Sent(EventKind(kind), at))
            except ValueError:
                continue  # a kind this code does not know tells nothing
        return out


class OutboxStage:
    def __init__(self, outbox: Outbox, log: Log, now: datetime):
        self.outbox = outbox
        self.log = log
        self.now = now

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        groups: dict[tuple[str, str], list[Notice]] = {}
        for n in notices:
            groups.setdefault((n.receiver, n.group.key if n.group else n.event.id), []).append(n)
        out: list[Notice] = []
        for (receiver, key), members in groups.items():
            fresh = [n for n in members if n.fresh]
            group = members[0].group
            notification = Notification(
                receiver=receiver,
                group_key=key,
                group_labels=dict(group.labels) if group else {},
                events=tuple(n.event for n in members),
                changed=frozenset(n.event.id for n in fresh),
                repeat=not fresh,
                at=self.now,
                repeat_interval=group.repeat_interval if group else 0.0,
            )
            row = self.outbox.enqueue(receiver, notification.to_dict(), self.now)
            told = [(n.event.id, n.event.event.value, n.event.alert.updated_at) for n in fresh]
            self.log.record(receiver, told, row)
            out.extend(replace(n, row=row) for n in members)
        return out
