"""The shapes a series has shown: has it reached a value this way lately?

A record (``record``) says a bucket is beyond anything the series reached lately; it does not say
whether the way it got there is news. A series whose spikes come again and again (an on/off job,
a cost that jumps at the same step every few days) breaks its record by a little each time, from
the same calm, to the same height in its own spread: the first such spike is news, the next ones
are not.

Each bucket's value is cut into a level of its distance above the series' ordinary mean, in its
ordinary spreads (the record's bucket scale): within one spread it is level 0, below it -1, and
above it one level per ``1 / STEPS`` of an octave (so a spike twice as far out is ``STEPS``
levels higher; rescaling the series changes nothing). The *context* of a bucket is the levels of
the last ``LENGTH`` buckets with data, ending with its own. Each context seen is remembered with
a count that halves every ``HALF_LIFE`` slots (a week of baseline: a shape not seen for weeks is
news again), at most ``MEMORY`` contexts (the faintest are forgotten first). A context is
*familiar* when its count, before this bucket, is at least ``FAMILIAR``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["Contexts", "FAMILIAR"]

STEPS = 2.5  # levels per octave of distance above the mean
TOP = 40  # highest level (beyond a million spreads, all alike)
LENGTH = 2  # buckets in a context: the one before and this one
HALF_LIFE = 7.0  # slots for a context's count to halve
FAMILIAR = 1.0  # a context seen this often lately is no news
MEMORY = 4096  # contexts remembered at most


class Contexts:
    """The contexts one series has shown, and how often it showed its newest one lately."""

    def __init__(self, slot_buckets: float):
        self.lam = 0.5 ** (1.0 / (HALF_LIFE * slot_buckets))  # decay per bucket
        self.levels: list[int] = []  # levels of the last LENGTH - 1 buckets with data
        self.seen: dict[str, list[float]] = {}  # context -> [count, bucket it was counted at]

    @staticmethod
    def level(value: float, mean: float, spread: float) -> int:
        if spread <= 0.0:  # a flat series: any step away from its value is beyond all spread
            return 0 if value == mean else (TOP if value > mean else -1)
        z = (value - mean) / spread
        if z < -1.0:
            return -1
        if z < 1.0:
            return 0
        return 1 + min(TOP, math.floor(STEPS * math.log2(z)))

    def observe(self, b: int, value: float, mean: float, spread: float) -> float:
        """Bucket ``b`` has ``value``: how often the series showed its context lately (0 while
        it has too few buckets to have one); the context is remembered."""
        q = self.level(value, mean, spread)
        full = len(self.levels) >= LENGTH - 1
        count = 0.0
        if full:
            key = ",".join(str(v) for v in [*self.levels, q])
            entry = self.seen.get(key)
            if entry is not None:
                count = entry[0] * self.lam ** (b - entry[1])
            self.seen[key] = [count + 1.0, float(b)]
            if len(self.seen) > MEMORY:
                self._forget(b)
        self.levels = [*self.levels, q][len(self.levels) + 2 - LENGTH :]
        return count

    def _forget(self, b: int) -> None:
        now = {k: c * self.lam ** (b - at) for k, (c, at) in self.seen.items()}
        for k in sorted(now, key=now.__getitem__)[: len(now) - MEMORY // 2]:
            del self.seen[k]

    def dump(self) -> list[Any]:
        return [list(self.levels), self.seen]

    def load(self, d: list[Any]) -> None:
        self.levels = [int(v) for v in d[0]]
        self.seen = {str(k): [float(v[0]), float(v[1])] for k, v in d[1].items()}
