"""How a series takes its posts (``Series``, see ``series``): counts in a ring of buckets, late
posts learned by the baseline (clipped while a wave is open), buckets without data, and the level
of a wave that lasts adopted as the new usual."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .countmodel import upper_bound

if TYPE_CHECKING:
    from .baseline import SeasonalBaseline
    from .look import Wave

__all__ = ["Counting", "LASTING"]

LASTING = 3  # windows a wave stays elevated before its level becomes the usual


class Counting:
    """The counting half of ``Series`` (a mixin: the attributes are the series')."""

    counts: list[int]
    missing: bytearray
    head: int
    ring_len: int
    w: int
    baseline: SeasonalBaseline
    wave: Wave | None
    unfolded: set[int]
    learned_late: dict[int, tuple[int, float, float]]
    elevated_since: int | None
    _win: list[float]

    # ------------------------------------------------------------ data in

    def add(self, b: int, n: int) -> bool:
        """Count ``n`` posts in bucket ``b``; False when it is too old to be held in the ring."""
        if b > self.head:
            self.advance(b)
        if b <= self.head - self.ring_len:
            self._note_late(b, n)
            self.baseline.add_late(b, n)
            return False
        self.counts[b % self.ring_len] += n
        self.missing[b % self.ring_len] = 0
        if b <= self.baseline.t:  # already in the baseline: add it there too, clipped in a wave
            if b >= self.head - self.w:
                # A young series' clock starts at its first post: a late post dated just before
                # it is in the window being judged, and joins the baseline only once it leaves
                # the window, as every bucket does (else late calls would pass for the usual).
                self.unfolded.add(b)
                return True
            self._note_late(b, n)
            n = self._learnable(b, n, held=self.counts[b % self.ring_len] - n)
            if n:
                self.baseline.add_late(b, n)
        return True

    def _note_late(self, b: int, n: int) -> None:
        base = self.baseline
        count, expected, phi = self.learned_late.get(b, (0, -1.0, base.phi))
        if expected < 0.0:
            expected = max(base.local, 1.0) * base.usual(b)
        self.learned_late[b] = (count + n, expected, phi)

    def _learnable(self, b: int, n: int, held: int = 0) -> int:
        """Of ``n`` late posts in bucket ``b``, what the baseline learns: while a wave is open,
        no more than an ordinary high count for the bucket (``held``: what it already has)."""
        if self.wave is None:
            return n
        cap = math.floor(upper_bound(self.baseline.expected(b), self.baseline.phi_bucket))
        return max(0, min(n, cap - held))

    def advance(self, b: int) -> None:
        """Move the ring's head to bucket ``b``, folding what left the window into the baseline."""
        if b <= self.head:
            return
        r = self.ring_len
        target = b - self.w - 1  # buckets up to here are wholly before the window
        first = max(self.baseline.t + 1, self.head - r + 1)
        for i in range(first, min(target, self.head) + 1):
            if self.missing[i % r]:
                self.baseline.skip_missing(i)
            else:
                self._fold(i, self.counts[i % r])
        for i in sorted(k for k in self.unfolded if k <= target):
            self.unfolded.discard(i)
            self.baseline.add_late(i, self._learnable(i, self.counts[i % r]))
        self.baseline.skip_to(target)
        for i in range(max(self.head + 1, b - r + 1), b + 1):
            self.counts[i % r] = 0
            self.missing[i % r] = 0
        self.head = b
        for old in [k for k in self.details if k < b - self.w - 1]:
            del self.details[old]

    def take_back(self, b: int) -> None:
        """One post counted in bucket ``b`` was another record of a post counted already (two
        records of one post merged): uncounted while the baseline has not learned it."""
        r = self.ring_len
        learned = b <= self.baseline.t and b not in self.unfolded
        if self.head - r < b <= self.head and not learned and self.counts[b % r] > 0:
            self.counts[b % r] -= 1

    def gap(self, b0: int, b1: int) -> None:
        """Buckets ``b0``..``b1`` have no data: not zeros, nothing at all (a sensor's outage).

        Buckets already in the ring (evaluation moves the clock ahead of the data) and not yet
        folded are marked where they are, unless something was counted there. A gap longer than
        the ring is walked only at its two ends: in between there is nothing to fold, so the
        baseline just moves its clock past it.
        """
        r = self.ring_len
        for b in range(max(b0, self.head - r + 1, self.baseline.t + 1), min(b1, self.head) + 1):
            if self.counts[b % r] == 0:
                self.missing[b % r] = 1
        b0 = max(b0, self.head + 1)
        if b1 < b0:
            return
        far = b1 - 2 * r
        if far > b0 + r:
            self.gap(b0, b0 + r)  # the window before the gap folds as usual
            self.head = far
            for i in range(far - r + 1, far + 1):
                self.counts[i % r] = 0
                self.missing[i % r] = 1
            self.baseline.skip_missing(far - self.w - 1)
            self.details.clear()
            b0 = far + 1
        for b in range(b0, b1 + 1):
            self.advance(b)
            self.missing[b % r] = 1

    def _fold(self, i: int, c: int) -> None:
        base = self.baseline
        expected = base.expected(i)
        if base.span >= self.w:
            base.observe_bucket(c, expected)
        # The dispersion is learned on a grid of whole windows, each measured against what its
        # buckets were expected to hold before they were folded: a window's own posts must not
        # be in the expectation its scatter is measured against.
        if self._win[0] != i // self.w:
            self._win = [i // self.w, 0.0, 0.0, 0]
        self._win[1] += c
        self._win[2] += expected
        self._win[3] += 1
        if self.wave is not None:
            c = min(c, upper_bound(expected, base.phi_bucket))
        base.fold(i, c)
        if (i + 1) % self.w == 0 and base.span >= self.w and 2 * self._win[3] > self.w:
            base.observe_window(self._win[1], self._win[2], self.w)

    # ------------------------------------------------------------ shifts and waves

    def _track_shift(self, bn: int, elevated: bool) -> None:
        """Adopt the level of a wave that has stayed elevated for ``LASTING`` windows.

        The new level of the day is what the ring's already folded buckets saw, raw (the wave's
        clipping undone), shrunk to the long-run level by the local prior as any level of the
        day is: a quiet product's two posts do not make a new normal.
        """
        if self.wave is None or not elevated:
            self.elevated_since = None
            return
        if self.elevated_since is None:
            self.elevated_since = bn
        if bn - self.elevated_since < LASTING * self.w:
            return
        base, r = self.baseline, self.ring_len
        ks = range(max(self.head - r + 1, base.origin), min(base.t, bn - self.w - 1) + 1)
        ks = [k for k in ks if not self.missing[k % r]]
        usual = sum(base.usual(k) for k in ks)
        if usual > 0.0:
            base.rebase(sum(self.counts[k % r] for k in ks), usual)
        self.elevated_since = bn
