"""The span of time a report covers: a local day (日报) or the seven local days ending with one
(周报), midnight to midnight in the config's time zone, and the span of the same length before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

__all__ = ["KINDS", "Kind", "Period", "last_complete_day"]

Kind = Literal["daily", "weekly"]
# A report's kind, the days it covers and its Chinese name.
KINDS: dict[str, tuple[int, str]] = {"daily": (1, "日报"), "weekly": (7, "周报")}


def last_complete_day(now: datetime, tz: tzinfo) -> date:
    """The day a report read in the morning is about: yesterday, in the team's zone."""
    return now.astimezone(tz).date() - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """``days`` local days ending with ``last`` (inclusive); ``start``/``end`` in UTC, end open."""

    kind: str
    last: date
    tz: tzinfo

    @classmethod
    def of(cls, kind: str, last: date, tz: tzinfo) -> Period:
        if kind not in KINDS:
            raise ValueError(f"unknown report kind {kind!r}; use one of: {', '.join(KINDS)}")
        return cls(kind, last, tz)

    @property
    def length(self) -> int:
        return KINDS[self.kind][0]

    @property
    def name(self) -> str:
        return KINDS[self.kind][1]

    @property
    def first(self) -> date:
        return self.last - timedelta(days=self.length - 1)

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), self.tz).astimezone(UTC)

    @property
    def start(self) -> datetime:
        return self._midnight(self.first)

    @property
    def end(self) -> datetime:
        return self._midnight(self.last + timedelta(days=1))

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.length)]

    @property
    def step(self) -> timedelta:
        """A trend's step: an hour in a day's report, a day in a week's."""
        return timedelta(hours=1) if self.length == 1 else timedelta(days=1)

    def buckets(self) -> list[datetime]:
        """The local start of each step of the trend, in order (a day of 23 or 25 hours where
        the zone changes its clock)."""
        out, at = [], self.start
        while at < self.end:
            out.append(self.bucket_of(at))
            at += self.step
        return sorted(set(out))

    def bucket_of(self, at: datetime) -> datetime:
        """The local start of the step ``at`` falls in."""
        local = at.astimezone(self.tz)
        if self.length == 1:
            return local.replace(minute=0, second=0, microsecond=0)
        return datetime.combine(local.date(), time(), self.tz)

    def previous(self) -> Period:
        return Period(self.kind, self.first - timedelta(days=1), self.tz)

    def day_of(self, at: datetime) -> date:
        """The local day ``at`` falls on."""
        return at.astimezone(self.tz).date()

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def label(self) -> str:
        """2026-12-08, or 2026-12-02 至 2026-12-08."""
        if self.length == 1:
            return self.last.isoformat()
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"
