"""One series: counts of a product (or product x category) in buckets, its learned baseline,
and the test that says whether its latest window is a burst.

The test, per series and rule (``Detection.rule_for``; times cut into ``bucket``-long buckets):

* ``count``     posts in the window: the last ``window`` of whole buckets plus the current one;
* ``expected``  what the baseline expects there (level x hour-of-day x weekday); while the series
                has less than ``cold_start`` of history, max(its crude rate, a floor of half a
                post per window) instead: a new product is judged by ``min_count``;
* ``p``         P(X >= count) under a negative binomial with that mean and the series' learned
                over-dispersion (``countmodel``): a count model, fine with zeros;
* hot when count >= min_count, count >= ratio * expected and p <= p_value.

Buckets join the baseline once they leave the window, so a wave never hides itself. While a wave
is firing, the buckets it leaves behind join the baseline clipped to an ordinary high count:
otherwise a big wave would teach the product that waves are normal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from yujing.alerts import Alert
from yujing.config import BurstRule
from yujing.records import format_time

from .baseline import SeasonalBaseline
from .countmodel import tail, upper_bound
from .details import Details

__all__ = ["Look", "Series", "Wave", "bucket_of", "EXPECTED_FLOOR", "SERIES_POINTS"]

EXPECTED_FLOOR = 0.5  # posts per window assumed for a series with too little history
COLD_PHI = 0.25  # over-dispersion assumed while the baseline is still being learned
RESOLVE_P = 0.01  # a firing wave stays open while its window is at least this unusual
SERIES_POINTS = 24  # buckets shown in the alert's sparkline


def bucket_of(ts: float, size: float) -> int:
    return math.floor(ts / size)


@dataclass(slots=True)
class Wave:
    """An open alert of one series, with everything seen since it fired."""

    alert: Alert
    peak: int
    details: Details
    quiet_since: datetime | None = None  # not even mildly unusual since
    cool_since: datetime | None = None  # not a burst since
    adopted_at: datetime | None = None  # when its level was last taken as the usual

    @property
    def window_start(self) -> datetime:
        burst = self.alert.burst
        return burst.window_start if burst is not None else self.alert.started_at


# ---------------------------------------------------------------- one series


@dataclass(frozen=True, slots=True)
class Look:
    """One evaluation of one series."""

    bucket: int
    count: int
    expected: float
    p: float
    hot: bool
    elevated: bool
    cold: bool
    growth: float
    previous: int  # posts in the window before this one
    window: Details
    series: tuple[int, ...]
    window_start: datetime


class Series:
    """Counts of one product (or product x category) in buckets, and its learned baseline."""

    def __init__(self, key: str, product: str, category: str | None, rule: BurstRule, origin: int):
        self.key, self.product, self.category, self.rule = key, product, category, rule
        self.size = rule.bucket
        self.w = max(1, round(rule.window / rule.bucket))  # whole buckets in the window
        self.ring_len = max(2 * self.w + 2, SERIES_POINTS + 1)
        self.counts = [0] * self.ring_len
        self.head = origin  # newest bucket held in the ring
        self.details: dict[int, Details] = {}  # buckets in the window (and the one before it)
        self.baseline = SeasonalBaseline(rule.bucket, rule.baseline, origin)
        self.wave: Wave | None = None

    # ------------------------------------------------------------ data in

    def add(self, b: int, n: int) -> bool:
        """Count ``n`` posts in bucket ``b``; False when it is too old to be held in the ring."""
        if b > self.head:
            self.advance(b)
        if b <= self.head - self.ring_len:
            self.baseline.add_late(b, n)
            return False
        self.counts[b % self.ring_len] += n
        if b <= self.baseline.t:  # already in the baseline: add it there too, clipped in a wave
            if self.wave is not None:
                cap = upper_bound(self.baseline.expected(b), self.baseline.phi)
                n = max(0, min(n, math.floor(cap) - (self.counts[b % self.ring_len] - n)))
            if n:
                self.baseline.add_late(b, n)
        return True

    def advance(self, b: int) -> None:
        """Move the ring's head to bucket ``b``, folding what left the window into the baseline."""
        if b <= self.head:
            return
        target = b - self.w - 1  # buckets up to here are wholly before the window
        first = max(self.baseline.t + 1, self.head - self.ring_len + 1)
        for i in range(first, min(target, self.head) + 1):
            self._fold(i, self.counts[i % self.ring_len])
        self.baseline.skip_to(target)
        for i in range(max(self.head + 1, b - self.ring_len + 1), b + 1):
            self.counts[i % self.ring_len] = 0
        self.head = b
        for old in [k for k in self.details if k < b - self.w - 1]:
            del self.details[old]

    def _fold(self, i: int, c: int) -> None:
        base = self.baseline
        expected = base.expected(i)
        # Robust: a bucket joins the level at most an ordinary high (or low) count away from what
        # was expected, so one spike, or a wave, does not become the product's normal. A shift
        # that lasts is taken in by ``adopt`` instead. Buckets of one window are taken as
        # independent: a bucket's extra variance is w times the window's relative one.
        phi_b = base.phi * self.w
        hi = upper_bound(expected, phi_b)
        lo = expected - (hi - expected - 1.0)
        base.fold(i, min(max(c, lo), hi) if base.span >= self.w else c)
        if (i + 1) % self.w == 0 and base.span >= self.w:
            lo_k = i - self.w + 1
            if lo_k > self.head - self.ring_len:
                win = sum(self.counts[k % self.ring_len] for k in range(lo_k, i + 1))
                exp = sum(base.expected(k) for k in range(lo_k, i + 1))
                base.observe_window(win, exp, self.w)

    def adopt(self) -> None:
        """A lasting shift: the level of the latest window becomes the usual."""
        base = self.baseline
        bn = self.head
        lo = bn - self.w
        count = sum(self.counts[k % self.ring_len] for k in range(lo, bn) if k > bn - self.ring_len)
        usual = sum(base.usual(k) for k in range(lo, bn))
        if usual > 0.0:
            base.rebase(max(count, 0) / usual)

    # ------------------------------------------------------------ the test

    def look(self, now: datetime) -> Look:
        ts = now.timestamp()
        bn = bucket_of(ts, self.size)
        self.advance(bn)
        frac = ts / self.size - bn
        rule, base, r = self.rule, self.baseline, self.ring_len
        lo = bn - self.w
        count = sum(self.counts[k % r] for k in range(lo, bn + 1) if k > self.head - r)
        cold = base.span * self.size < rule.cold_start
        expected = sum(base.expected(k) for k in range(lo, bn)) + frac * base.expected(bn)
        if cold:
            # Too little history to trust the learned rate or its daily pattern: a floor makes
            # min_count decide for a quiet product, and wide error bars keep a busy one calm.
            expected, phi = max(EXPECTED_FLOOR, expected), max(COLD_PHI, base.phi)
        else:
            expected, phi = max(expected, 1e-3), base.phi
        p = tail(count, expected, phi)
        # With not even one window of history before this one there is no "more than usual".
        judged = base.span >= self.w
        hot = (
            judged
            and count >= rule.min_count
            and count >= rule.ratio * expected
            and p <= rule.p_value
        )
        elevated = count >= 2 and p <= RESOLVE_P
        prev = sum(self.counts[k % r] for k in range(lo - self.w, lo) if k > self.head - r)
        window = Details()
        for k, d in self.details.items():
            if lo <= k <= bn:
                window.merge(d)
        series = tuple(
            self.counts[k % r] if k > self.head - r else 0
            for k in range(bn - SERIES_POINTS + 1, bn + 1)
        )
        start = datetime.fromtimestamp(lo * self.size, UTC)
        return Look(
            bn,
            count,
            expected,
            p,
            hot,
            elevated,
            cold,
            count / max(prev, 1),
            prev,
            window,
            series,
            start,
        )

    # ------------------------------------------------------------ persistence

    def dump(self) -> dict[str, Any]:
        wave = None
        if self.wave is not None:
            wave = {
                "id": self.wave.alert.id,
                "peak": self.wave.peak,
                "d": self.wave.details.dump(),
                "quiet": format_time(self.wave.quiet_since) if self.wave.quiet_since else None,
            }
        return {
            "rule": [self.size, self.w],
            "head": self.head,
            "counts": [
                self.counts[k % self.ring_len]
                for k in range(self.head - self.ring_len + 1, self.head + 1)
            ],
            "details": {str(k): d.dump() for k, d in self.details.items()},
            "baseline": self.baseline.dump(),
            "wave": wave,
        }

    def load(self, d: dict[str, Any]) -> bool:
        if d.get("rule") != [self.size, self.w]:
            return False  # bucket or window changed: this state measures something else
        self.head = int(d["head"])
        counts = list(d["counts"])[-self.ring_len :]
        for j, v in enumerate(counts):
            k = self.head - len(counts) + 1 + j
            self.counts[k % self.ring_len] = int(v)
        self.details = {int(k): Details.load(v) for k, v in d["details"].items()}
        self.baseline.load(d["baseline"])
        return True


# ---------------------------------------------------------------- the detector
