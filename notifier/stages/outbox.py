"""Outbox: write each notice as a durable row for delivery (``Notifier.deliver_due``).

The store is used only here, through ``Outbox``: writing a row, and reading a receiver's rows
for an alert, which are the notification log the dedup stage reads (``OutboxLog``). A store of
another shape needs only an adapter with these two calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from yujing.alerts import AlertEvent

from .base import Notice
from .dedup import Sent

__all__ = ["Outbox", "OutboxLog", "OutboxStage"]


class Outbox(Protocol):
    def enqueue(self, receiver: str, payload: dict[str, Any]) -> int:
        """Write one row for ``receiver``; returns its id."""
        ...

    def enqueued(self, receiver: str, alert_id: str) -> list[dict[str, Any]]:
        """The payloads of every row ever written for ``receiver`` about ``alert_id``."""
        ...


class OutboxLog:
    """The notification log, read from the outbox: a row is a notice the receiver was given."""

    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    def sent(self, receiver: str, alert_id: str) -> list[Sent]:
        out = []
        for payload in self.outbox.enqueued(receiver, alert_id):
            try:
                event = AlertEvent.from_dict(payload)
            except (KeyError, TypeError, ValueError):
                continue  # a damaged row tells nothing; delivery sets it aside
            out.append(Sent(event.event, event.alert.updated_at))
        return out


class OutboxStage:
    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        return [replace(n, row=self.outbox.enqueue(n.receiver, n.event.to_dict())) for n in notices]
