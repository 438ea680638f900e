"""Silence: events matched by an active silence are not sent.

A silence is Alertmanager's: matchers (all must match the event's labels), a start and an end
(active from ``starts_at`` up to, not including, ``ends_at``), who made it and why. Where silences
are kept and how people add them come later; until then the notifier is given none, and this
stage passes everything. A resolution is never muted (see ``base.mutable``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from yujing.config.matchers import parse_matcher
from yujing.records import utcnow

from .base import Notice, mutable

__all__ = ["Silence", "SilenceStage", "Silences", "no_silences"]

log = logging.getLogger("yujing.notifier")


@dataclass(frozen=True, slots=True)
class Silence:
    matchers: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    author: str
    comment: str

    def __post_init__(self) -> None:
        # An empty silence would mute everything: Alertmanager refuses it, and so do we.
        if not self.matchers:
            raise ValueError("a silence needs at least one matcher")
        for m in self.matchers:
            parse_matcher(m)  # raises ValueError on a bad matcher
        if self.ends_at <= self.starts_at:
            raise ValueError("a silence must end after it starts")

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def mutes(self, labels: dict[str, str]) -> bool:
        return all(parse_matcher(m).matches(labels) for m in self.matchers)


Silences = Callable[[], Iterable[Silence]]


def no_silences() -> list[Silence]:
    return []


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
            by = next((s for s in active if s.mutes(notice.event.labels())), None)
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
