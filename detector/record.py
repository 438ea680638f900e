"""The range a series has had: is its newest bucket (or window) beyond anything it did lately?

For a series whose buckets wobble far more than counting noise (a measurement — CPU percent,
latency, a price — or a very busy stream), the count model's tail is not the series' own: real
levels are heavy-tailed (on/off jobs, spikes, plateaus), so a fixed dispersion either calls every
spike a burst or, once it has learned the spikes, misses a rise to ten times the usual. What such
a series has done is its own yardstick: a rise is a value beyond the highest it reached over the
baseline's memory, by more than its ordinary bucket-to-bucket spread.

A bucket is also a rise when it leaves the *recent* range (the last ``RECENT_DAYS`` slots) by
``RECENT_MARGIN`` of its ordinary spread, once the series has a week of history: a rise smaller
than a spike earlier in the week, in a series calm since, is still far beyond what it did lately.

Two time scales are tested, so a sharp spike and a slow climb are both rises: the last bucket, and
a decayed mean of the buckets with a half-life of ``SLOW_WINDOWS`` windows (a lasting shift
smaller than a recent spike is still beyond anything the slow mean did). A third, the mean of the
detection window's buckets, is kept as the slow mean's yardstick of ordinary wobble but is not a
test of its own: between a bucket's spike and the slow mean's climb it saw only what one of them
saw already, and on real series its records were false alarms (seven on the development series,
no rise among them). Each scale keeps

* the highest value of each of the last ``DAYS`` slots of ``baseline / DAYS`` (a day for a week
  of baseline): a sliding maximum over the baseline's memory, in a bounded ring;
* a decayed mean and mean absolute deviation (half-life one slot): the ordinary spread, in the
  series' own unit, so the test is the same for the series times 1000.

A bucket is learned at the bucket and window scales once it was tested, and at the slow scale
once it has left the detection window (as the baseline learns it): a slow climb is compared with
where it was a window ago, not with its own last step, while the faster scales (whose values
jump from bucket to bucket anyway) judge against everything before the tested bucket.

A bucket whose *context* is familiar (``context``: the series reached that height, in its own
spreads, from the same level before, lately) is not news, neither as a record nor as a jump
beyond the recent range: a series that spikes the same way again and again breaks its record by
a little each time, and leaves its calm spells the same way. The slow scale (a climb, not a shape
of single buckets) is left alone. Buckets
without data are neither tested nor learned. Everything is in the
series' own values and in time (not rows), so resampling or rescaling a series does not change
what is a record.
"""

from __future__ import annotations

import math
from typing import Any

from .context import FAMILIAR, Contexts

__all__ = ["Record", "DAYS", "MARGIN"]

DAYS = 7  # slots of the sliding maximum over the baseline's memory
MARGIN = 1.0  # a record must beat the maximum by this many mean absolute deviations
HISTORY_SLOTS = 1.0  # slots of history before records are judged (a day for a week)
SLOW_WINDOWS = 3.0  # half-life of the slow scale's decayed mean, in windows
RECENT_DAYS = 2  # slots of the recent range (this one and the one before)
RECENT_MARGIN = 6.0  # a bucket beyond the recent range by this many spreads is a rise
WINDOW_SCALE = 1  # the scales are (bucket, window, slow); the window's is kept, not tested


class _Scale:
    """The sliding maximum and ordinary spread of one time scale's values."""

    __slots__ = ("top", "mean", "dev", "n")

    def __init__(self) -> None:
        self.top: dict[int, float] = {}  # slot -> highest value seen in it
        self.mean = 0.0
        self.dev = 0.0
        self.n = 0  # values learned (until the decayed sums are warm)

    def threshold(
        self, slot: int, spread: float, days: int = DAYS, margin: float = MARGIN
    ) -> float:
        """What a value must exceed to be a record in ``slot``: the highest of the last ``days``
        slots by ``margin`` spreads."""
        tops = [v for s, v in self.top.items() if slot - days < s <= slot]
        if not tops:
            return math.inf
        return max(tops) + margin * spread

    def learn(self, slot: int, value: float, lam: float) -> None:
        self.top[slot] = max(self.top.get(slot, -math.inf), value)
        for old in [s for s in self.top if s <= slot - DAYS]:
            del self.top[old]
        # A plain average until there are as many values as the decay remembers: the first
        # value alone is no mean to measure the spread around.
        self.n += 1
        a = max(1.0 - lam, 1.0 / self.n)
        self.dev += a * (abs(value - self.mean) - self.dev) if self.n > 1 else 0.0
        self.mean += a * (value - self.mean)

    def dump(self) -> list[Any]:
        return [{str(k): v for k, v in self.top.items()}, self.mean, self.dev, self.n]

    def load(self, d: list[Any]) -> None:
        self.top = {int(k): float(v) for k, v in d[0].items()}
        self.mean, self.dev, self.n = float(d[1]), float(d[2]), int(d[3])


class Record:
    """Records of one series at three scales: its last bucket, its window's mean (the slow mean's
    yardstick) and a slow mean.

    ``observe`` each complete bucket in order; ``beyond`` says whether one beats the records;
    ``learn_until`` folds observed buckets into the records (see the module for when).
    """

    def __init__(self, bucket: float, memory: float, window: int, origin: int):
        self.slot = memory / DAYS  # seconds in one slot of the sliding maximum
        self.bucket = bucket
        self.window = window  # buckets in the window scale
        self.lam = 0.5 ** (bucket / self.slot)
        self.origin = origin  # first bucket observed
        self.learned = [origin - 1] * 3  # last bucket learned at each scale
        self.seen = origin - 1  # last bucket observed
        self.lam_slow = 0.5 ** (1.0 / (SLOW_WINDOWS * window))
        self.slow: float | None = None  # the slow mean as of ``seen``
        # Buckets observed, not yet learned at every scale (a window and a bit): their values.
        self.pending: dict[int, tuple[float, float | None, float]] = {}
        self.scales = (_Scale(), _Scale(), _Scale())
        self.contexts = Contexts(self.slot / bucket)
        self.shown: dict[int, float] = {}  # observed bucket -> how often its context was seen

    def _slot(self, b: int) -> int:
        return math.floor(b * self.bucket / self.slot)

    def ready(self, b: int) -> bool:
        """Enough history to judge bucket ``b``: a slot of it, learned."""
        return (b - self.origin) * self.bucket >= HISTORY_SLOTS * self.slot and self.scales[0].n > 1

    def observe(self, b: int, bucket: float, window: float | None) -> None:
        """Complete bucket ``b`` (after the last observed): its value and its window's mean
        (None when most of the window has no data: a mean of a reading or two is not what the
        window scale's spread was learned on)."""
        if b <= self.seen:
            return
        if self.seen < self.origin:
            self.origin = b
        if self.slow is None:
            self.slow = bucket
        else:  # buckets without data in between: the slow mean forgets as time passes
            keep = self.lam_slow ** (b - self.seen)
            self.slow = keep * self.slow + (1.0 - keep) * bucket
        self.pending[b] = (bucket, window, self.slow)
        scale = self.scales[0]
        self.shown[b] = self.contexts.observe(b, bucket, scale.mean, scale.dev)
        self.seen = b

    def beyond(self, b: int) -> tuple[bool, float]:
        """Whether observed bucket ``b`` beats the series' records at any scale, and by how much
        the strongest does (value / threshold; below 1: no record)."""
        values = self.pending.get(b)
        if values is None:
            return False, 0.0
        slot = self._slot(b)
        best = 0.0
        hit = False
        # The slow mean is smooth, its own spread small: it must climb beyond its highest by a
        # window's ordinary wobble, or every calm day's highest hour would be a record.
        bucket, window, slow = self.scales
        wobble = window.dev if window.n > 1 else bucket.dev  # a sensor seldom read: its buckets'
        spreads = (bucket.dev, window.dev, max(wobble, slow.dev))
        # A spike of a familiar shape is no news (see the module); a climb of the slow mean is
        # not a shape of single buckets, and is judged as always.
        familiar = self.shown.get(b, 0.0) >= FAMILIAR
        for i, (scale, v, spread) in enumerate(zip(self.scales, values, spreads, strict=True)):
            if v is None or i == WINDOW_SCALE:  # the slow mean's yardstick, not a test
                continue
            top = scale.threshold(slot, spread)
            if v > top and not (i == 0 and familiar):
                hit = True
            if math.isfinite(top):
                best = max(best, v / top if top > 0 else (math.inf if v > 0 else 0.0))
        # A jump far beyond the recent days, in a series that has a week behind it, is a rise
        # even where an older spike was higher: a calm series' spread is small, its jump large.
        if (
            not familiar
            and len(bucket.top) >= DAYS - 1
            and values[0] > bucket.threshold(slot, bucket.dev, RECENT_DAYS, RECENT_MARGIN)
        ):
            hit = True
        return hit, best

    def learn_until(self, fast: int, slow: int) -> None:
        """Learn the observed buckets up to ``fast`` at the bucket and window scales, and up to
        ``slow`` at the slow one."""
        pending = self.pending
        for i, (scale, until) in enumerate(zip(self.scales, (fast, fast, slow), strict=True)):
            lo = self.learned[i]
            if until <= lo:
                continue
            # Usually one bucket; after a long gap, only those observed.
            ks = range(lo + 1, until + 1) if until - lo <= len(pending) else sorted(pending)
            for k in ks:
                values = pending.get(k)
                if values is not None and lo < k <= until and values[i] is not None:
                    scale.learn(self._slot(k), values[i], self.lam)
            self.learned[i] = until
        done = min(self.learned)
        for k in [k for k in pending if k <= done]:
            del pending[k]
        for k in [k for k in self.shown if k <= done]:
            del self.shown[k]

    def dump(self) -> dict[str, Any]:
        return {
            "o": self.origin,
            "l": list(self.learned),
            "seen": self.seen,
            "slow": self.slow,
            "p": {str(k): list(v) for k, v in self.pending.items()},
            "s": [s.dump() for s in self.scales],
            "c": self.contexts.dump(),
            "cs": {str(k): v for k, v in self.shown.items()},
        }

    def load(self, d: dict[str, Any]) -> None:
        if "l" not in d:  # an earlier layout: the records are learned again from now on
            return
        self.origin, self.seen = int(d["o"]), int(d["seen"])
        self.learned = [int(v) for v in d["l"]]
        self.slow = float(d["slow"]) if d.get("slow") is not None else None
        self.pending = {
            int(k): (float(v[0]), None if v[1] is None else float(v[1]), float(v[2]))
            for k, v in d["p"].items()
        }
        for scale, sd in zip(self.scales, d["s"], strict=True):
            scale.load(sd)
        if "c" in d:  # saved before contexts were kept: they are learned from now on
            self.contexts.load(d["c"])
            self.shown = {int(k): float(v) for k, v in d["cs"].items()}
