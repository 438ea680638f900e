"""Silence: events matched by an active silence are not sent.

A silence is Alertmanager's (``yujing.alerts.Silence``): matchers (all must match the event's
labels), a start and an end, who made it and why. They are kept in the store and made with
``yujing silence add``; the notifier reads the active ones for each event. A resolution is never
muted (see ``base.mutable``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from yujing.alerts import Silence
from yujing.records import utcnow

from .base import Notice, mutable

__all__ = ["Silence", "SilenceStage", "Silences", "no_silences", "silencing"]

log = logging.getLogger("yujing.notifier")


Silences = Callable[[], Iterable[Silence]]


def no_silences() -> list[Silence]:
    return []


def silencing(silences: Iterable[Silence], labels: dict[str, str], now: datetime) -> list[Silence]:
    """The silences active at ``now`` that mute an event with ``labels`` (an event's
    ``labels()``: the alert's, its severity and state, and the event)."""
    return [s for s in silences if s.active(now) and s.mutes(labels)]


class SilenceStage:
    def __init__(self, silences: Silences = no_silences, clock: Callable[[], datetime] = utcnow):
        self.silences = silences
        self.clock = clock

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        now = self.clock()
        active = [s for s in self.silences() if s.active(now)]
        if not active:
            return list(notices)
        out: list[Notice] = []
        for notice in notices:
            by = next(iter(silencing(active, notice.event.labels(), now)), None)
            if by is None or not mutable(notice):
                out.append(notice)
                continue
            log.info(
                "alert %s %s to %s silenced by %s: %s",
                notice.event.id,
                notice.event.event,
                notice.receiver,
                by.author,
                by.comment,
            )
        return out
