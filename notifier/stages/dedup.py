"""Dedup: each receiver hears of an alert once per change, and first hears of it as "firing".

Per receiver, a notification log says what it has been told of each alert. Against it:

* an event already enqueued for the receiver (same alert id, event kind and ``updated_at``) is
  not enqueued again;
* the first notice of an alert is a "firing": an "updated" or "escalated" of an alert whose
  firing the receiver never got (inhibited, silenced, or routed elsewhere then) goes out as
  "firing", so the receiver opens it before it is told it changed;
* a "resolved" of an alert the receiver was never told of is dropped: there is nothing to close;
* a reminder (``Notice.first_only``) of an alert still firing goes only to receivers never told
  of it: a category alert muted while its product fired is sent once the product has resolved,
  even if the category's own numbers have not changed since.

The log is durable because it is read from the outbox (``outbox.OutboxLog``): a row there is
the record that the receiver was notified, whether delivered yet or not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from yujing.alerts import AlertEvent, EventKind

from .base import Notice

__all__ = ["DedupStage", "NotificationLog", "Sent"]

log = logging.getLogger("yujing.notifier")

_CHANGES = (EventKind.UPDATED, EventKind.ESCALATED)


@dataclass(frozen=True, slots=True)
class Sent:
    """One entry of the notification log: a receiver was told ``event`` as of ``updated_at``."""

    event: EventKind
    updated_at: datetime | None


class NotificationLog(Protocol):
    def sent(self, receiver: str, alert_id: str) -> list[Sent]:
        """What ``receiver`` has been told of alert ``alert_id``, oldest first."""
        ...


def _told(sent: Sequence[Sent], event: AlertEvent) -> bool:
    """Whether ``event`` is already in ``sent``: itself, or the "firing" that stood in for it."""
    at = event.alert.updated_at
    kinds = {event.event}
    if event.event in _CHANGES:
        kinds.add(EventKind.FIRING)
    return any(s.updated_at == at and s.event in kinds for s in sent)


class DedupStage:
    def __init__(self, nflog: NotificationLog):
        self.nflog = nflog

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        passed: dict[tuple[str, str], list[Sent]] = {}  # let through in this run, not yet logged
        out: list[Notice] = []
        for notice in notices:
            key = (notice.receiver, notice.event.id)
            sent = [*self.nflog.sent(*key), *passed.get(key, ())]
            kept = self._check(notice, sent)
            if kept is None:
                continue
            passed.setdefault(key, []).append(Sent(kept.event.event, kept.event.alert.updated_at))
            out.append(kept)
        return out

    @staticmethod
    def _check(notice: Notice, sent: Sequence[Sent]) -> Notice | None:
        event = notice.event
        if notice.first_only:
            return None if sent else notice
        if not sent:
            if event.event is EventKind.RESOLVED:
                log.debug("alert %s resolved: %s never heard of it", event.id, notice.receiver)
                return None
            if event.event is EventKind.FIRING:
                return notice
            return replace(notice, event=AlertEvent(EventKind.FIRING, event.alert))
        if _told(sent, event):
            log.debug("alert %s %s: %s has it already", event.id, event.event, notice.receiver)
            return None
        return notice
