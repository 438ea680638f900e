"""Dedup: a group is told when it has news, or again after ``repeat_interval``; each receiver
hears of an alert once per change, and first hears of it as "firing".

Per receiver, a notification log says what it has been told of each alert. Against it, each
alert of a group being flushed is:

* news ("fresh") when the receiver was not yet told this event of it (same alert id, event
  kind and ``updated_at``);
* context when it was: it still rides along, so a message shows the whole group;
* a "firing" when it is the first notice of the alert: an "updated" or "escalated" of an alert
  whose firing the receiver never got (inhibited, silenced, or routed elsewhere then) goes out
  as "firing", so the receiver opens it before it is told it changed;
* dropped when it is a "resolved" of an alert the receiver was never told of (nothing to close),
  or one already told.

Then per group, as Alertmanager's dedup stage decides: with any news the group goes out; without,
only when its repeat is due and an alert in it still fires (a reminder); else nothing is sent.

The log is durable (``outbox.StoreLog`` reads the store's ``notified`` table, written with the
outbox rows): a restart neither repeats nor skips a notice.
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


def _group(notice: Notice) -> tuple[str, str]:
    return (notice.receiver, notice.group.key if notice.group else notice.event.id)


def _as_told(sent: Sequence[Sent], event: AlertEvent) -> AlertEvent:
    """``event`` as the receiver was told it: a "firing" that stood in for an update stays a
    "firing" in later messages of the group."""
    at = event.alert.updated_at
    if any(s.updated_at == at and s.event is event.event for s in sent):
        return event
    return AlertEvent(EventKind.FIRING, event.alert)


class DedupStage:
    def __init__(self, nflog: NotificationLog):
        self.nflog = nflog

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        passed: dict[tuple[str, str], list[Sent]] = {}  # let through in this run, not yet logged
        groups: dict[tuple[str, str], list[Notice]] = {}
        seen: set[tuple[str, str, EventKind, datetime]] = set()
        for notice in notices:
            key = (notice.receiver, notice.event.id)
            same = (*key, notice.event.event, notice.event.alert.updated_at)
            if same in seen:
                continue  # the very same notice twice in one run: once is enough
            seen.add(same)
            sent = [*self.nflog.sent(*key), *passed.get(key, ())]
            kept = self._check(notice, sent)
            if kept is None:
                continue
            if kept.fresh:
                passed.setdefault(key, []).append(
                    Sent(kept.event.event, kept.event.alert.updated_at)
                )
            groups.setdefault(_group(kept), []).append(kept)
        out: list[Notice] = []
        for kept in groups.values():
            out.extend(self._decide(kept))
        return out

    @staticmethod
    def _decide(group: list[Notice]) -> list[Notice]:
        """The group's notices when it is to be told now, else none."""
        if any(n.fresh for n in group):
            return group
        due = group[0].group is not None and group[0].group.repeat_due
        if due and any(n.event.event is not EventKind.RESOLVED for n in group):
            return group
        return []

    @staticmethod
    def _check(notice: Notice, sent: Sequence[Sent]) -> Notice | None:
        event = notice.event
        if not sent:
            if event.event is EventKind.RESOLVED:
                log.debug("alert %s resolved: %s never heard of it", event.id, notice.receiver)
                return None
            if event.event is EventKind.FIRING:
                return replace(notice, fresh=True)
            return replace(notice, event=AlertEvent(EventKind.FIRING, event.alert), fresh=True)
        if _told(sent, event):
            if event.event is EventKind.RESOLVED:
                return None  # its end was told; it only waits to leave the group
            return replace(notice, event=_as_told(sent, event), fresh=False)
        return replace(notice, fresh=True)
