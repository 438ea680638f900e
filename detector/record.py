"""The range a series has had: is its newest bucket (or window) beyond anything it did lately?

For a series whose buckets wobble far more than counting noise (a measurement — CPU percent,
latency, a price — or a very busy stream), the count model's tail is not the series' own: real
levels are heavy-tailed (on/off jobs, spikes, plateaus), so a fixed dispersion either calls every
spike a burst or, once it has learned the spikes, misses a rise to ten times the usual. What such
a series has done is its own yardstick: a rise is a value beyond the highest it reached over the
baseline's memory, by more than its ordinary bucket-to-bucket spread.

Three time scales are watched, so a sharp spike and a slow climb are both rises: the last bucket,
the mean of the detection window's buckets, and a decayed mean of the buckets with a half-life of
``SLOW_WINDOWS`` windows (a lasting shift smaller than a recent spike is still beyond anything
the slow mean did). Each keeps

* the highest value of each of the last ``DAYS`` slots of ``baseline / DAYS`` (a day for a week
  of baseline): a sliding maximum over the baseline's memory, in a bounded ring;
* a decayed mean and mean absolute deviation (half-life one slot): the ordinary spread, in the
  series' own unit, so the test is the same for the series times 1000.

Buckets are learned once complete and only after they were tested, so a rise is compared with
what came before it; buckets without data are neither tested nor learned. Everything is in the
series' own values and in time (not rows), so resampling or rescaling a series does not change
what is a record.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["Record", "DAYS", "MARGIN"]

DAYS = 7  # slots of the sliding maximum over the baseline's memory
MARGIN = 1.0  # a record must beat the maximum by this many mean absolute deviations
HISTORY_SLOTS = 1.0  # slots of history before records are judged (a day for a week)
SLOW_WINDOWS = 3.0  # half-life of the slow scale's decayed mean, in windows


class _Scale:
    """The sliding maximum and ordinary spread of one time scale's values."""

    __slots__ = ("top", "mean", "dev", "n")

    def __init__(self) -> None:
        self.top: dict[int, float] = {}  # slot -> highest value seen in it
        self.mean = 0.0
        self.dev = 0.0
        self.n = 0  # values learned (until the decayed sums are warm)

    def threshold(self, slot: int) -> float:
        """What a value must exceed to be a record in ``slot``."""
        tops = [v for s, v in self.top.items() if slot - DAYS < s <= slot]
        if not tops:
            return math.inf
        return max(tops) + MARGIN * self.dev

    def learn(self, slot: int, value: float, lam: float) -> None:
        self.top[slot] = max(self.top.get(slot, -math.inf), value)
        for old in [s for s in self.top if s <= slot - DAYS]:
            del self.top[old]
        if self.n == 0:
            self.mean = value
        else:
            self.dev = lam * self.dev + (1.0 - lam) * abs(value - self.mean)
            self.mean = lam * self.mean + (1.0 - lam) * value
        self.n += 1

    def dump(self) -> list[Any]:
        return [{str(k): v for k, v in self.top.items()}, self.mean, self.dev, self.n]

    def load(self, d: list[Any]) -> None:
        self.top = {int(k): float(v) for k, v in d[0].items()}
        self.mean, self.dev, self.n = float(d[1]), float(d[2]), int(d[3])


class Record:
    """Records of one series at three scales: its last bucket, its window's mean and a slow mean."""

    def __init__(self, bucket: float, memory: float, window: int, origin: int):
        self.slot = memory / DAYS  # seconds in one slot of the sliding maximum
        self.bucket = bucket
        self.window = window  # buckets in the window scale
        self.lam = 0.5 ** (bucket / self.slot)
        self.origin = origin  # first bucket learned
        self.upto = origin - 1  # last bucket learned
        self.lam_slow = 0.5 ** (1.0 / (SLOW_WINDOWS * window))
        self.slow: float | None = None  # the slow mean as of ``upto``
        self.scales = (_Scale(), _Scale(), _Scale())

    def _slot(self, b: int) -> int:
        return math.floor(b * self.bucket / self.slot)

    def ready(self, b: int) -> bool:
        """Enough history to judge bucket ``b``: a slot of it, learned."""
        return (b - self.origin) * self.bucket >= HISTORY_SLOTS * self.slot and all(
            s.n > 1 for s in self.scales
        )

    def _with_slow(self, values: tuple[float, float]) -> tuple[float, float, float]:
        bucket, window = values
        slow = bucket if self.slow is None else self.lam_slow * self.slow
        if self.slow is not None:
            slow += (1.0 - self.lam_slow) * bucket
        return bucket, window, slow

    def beyond(self, b: int, values: tuple[float, float]) -> tuple[bool, float]:
        """Whether bucket ``b``'s values (bucket, window mean) beat the series' records at any
        scale, and by how much the strongest does (value / threshold; below 1: no record)."""
        slot = self._slot(b)
        best = 0.0
        hit = False
        for scale, v in zip(self.scales, self._with_slow(values), strict=True):
            top = scale.threshold(slot)
            if v > top:
                hit = True
            if math.isfinite(top):
                best = max(best, v / top if top > 0 else (math.inf if v > 0 else 0.0))
        return hit, best

    def learn(self, b: int, values: tuple[float, float]) -> None:
        """Learn complete bucket ``b`` (after it was judged)."""
        if b <= self.upto:
            return
        if self.upto < self.origin:
            self.origin = b
        slot = self._slot(b)
        every = self._with_slow(values)
        for scale, v in zip(self.scales, every, strict=True):
            scale.learn(slot, v, self.lam)
        self.slow = every[2]
        self.upto = b

    def skip(self, b: int) -> None:
        """Bucket ``b`` had no data: nothing learned, but the clock moves."""
        self.upto = max(self.upto, b)

    def dump(self) -> dict[str, Any]:
        return {
            "o": self.origin,
            "u": self.upto,
            "slow": self.slow,
            "s": [s.dump() for s in self.scales],
        }

    def load(self, d: dict[str, Any]) -> None:
        self.origin, self.upto = int(d["o"]), int(d["u"])
        self.slow = float(d["slow"]) if d.get("slow") is not None else None
        for scale, sd in zip(self.scales, d["s"], strict=True):
            scale.load(sd)
