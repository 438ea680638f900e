"""The usual level of one series: its own rate, hour-of-day and day-of-week pattern.

Buckets (``bucket`` seconds, numbered from the epoch) are folded in once they have left the
detection window, so a wave being judged never judges itself. Everything is a decayed sum —
``S = sum(count_i * lam**(t - i))`` with ``lam`` from a half-life — which makes the state a few
dozen floats per series whatever the history, and lets a late post (crawled hours after it was
published) be added exactly: its bucket's weight is known from its age.

Expected count of bucket ``b`` = ``rate * f_hour(b) * f_weekday(b)``, where

* ``rate``       decayed posts per bucket over decayed buckets seen (half-life ``half_life``);
* ``f_hour``     (S_h + a) / (rate_s * N_h + a): posts seen in that hour of the day over the posts
                 a flat series would have had there. ``a`` pseudo-posts shrink the factor to 1, so
                 a quiet product (a handful of posts a week) does not learn a "pattern" from noise;
* ``f_weekday``  the same per day of the week.

The seasonal sums remember three times longer than the level: a pattern needs many days of data,
a level should follow the product's recent life. Hours and weekdays are in UTC plus ``offset``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SeasonalBaseline"]

PRIOR_POSTS = 2.0  # pseudo-posts pulling each seasonal factor towards 1
SEASONAL_MEMORY = 3.0  # seasonal factors' half-life, in level half-lives
HOUR_REFRESH = 3 * 3600.0  # seconds of data between refreshes of the hour factors
LOCAL_HALF_LIFE = 6 * 3600.0  # how fast the level of the day is followed
LOCAL_PRIOR = 10.0
DISPERSION_PRIOR = 0.05  # assumed extra variance (phi) until windows say otherwise
DISPERSION_WEIGHT = 50.0  # ... worth this much sum of squared window means
DISPERSION_CAP = 4.0  # one window moves phi at most as much as a window this many sd out


class _Decayed:
    """Parallel decayed sums (count, buckets) per slot, each decayed lazily from its last touch."""

    __slots__ = ("lam", "s", "n", "t")

    def __init__(self, slots: int, lam: float, t: int):
        self.lam = lam
        self.s = [0.0] * slots
        self.n = [0.0] * slots
        self.t = [t] * slots

    def add(self, slot: int, i: int, count: float, buckets: float) -> None:
        last = self.t[slot]
        if i <= last:
            w = self.lam ** (last - i)
            self.s[slot] += count * w
            self.n[slot] += buckets * w
        else:
            w = self.lam ** (i - last)
            self.s[slot] = self.s[slot] * w + count
            self.n[slot] = self.n[slot] * w + buckets
            self.t[slot] = i

    def at(self, slot: int, now: int) -> tuple[float, float]:
        w = self.lam ** max(0, now - self.t[slot])
        return self.s[slot] * w, self.n[slot] * w

    def factors(self, now: int) -> list[float]:
        pairs = [self.at(k, now) for k in range(len(self.s))]
        total_s = sum(s for s, _ in pairs)
        total_n = sum(n for _, n in pairs)
        rate = total_s / total_n if total_n > 0 else 0.0
        return [(s + PRIOR_POSTS) / (rate * n + PRIOR_POSTS) for s, n in pairs]

    def dump(self) -> list[list[float]]:
        return [[round(v, 6) for v in self.s], [round(v, 6) for v in self.n], list(self.t)]

    def load(self, data: list[list[float]]) -> None:
        self.s, self.n, self.t = (
            [float(v) for v in data[0]],
            [float(v) for v in data[1]],
            [int(v) for v in data[2]],
        )


class SeasonalBaseline:
    def __init__(self, bucket: float, half_life: float, origin: int, offset: float = 0.0):
        self.bucket = bucket
        self.offset = offset
        self.lam = 0.5 ** (bucket / half_life)
        lam_s = 0.5 ** (bucket / (half_life * SEASONAL_MEMORY))
        self.origin = origin  # first bucket of the series
        self.t = origin - 1  # last bucket folded in
        self.s = 0.0  # decayed posts
        self.n = 0.0  # decayed buckets
        # Beyond a few seasonal half-lives an empty bucket teaches nothing measurable.
        self.max_gap = int(6 * half_life * SEASONAL_MEMORY / bucket) + 1
        self.hours = _Decayed(24, lam_s, self.t)
        self.days = _Decayed(7, lam_s, self.t)
        # Today's level against the learned one (news days, outages): a ratio of decayed sums
        # over the last hours, shrunk to 1 by LOCAL_PRIOR pseudo-posts so quiet series ignore it.
        self.lam_local = 0.5 ** (bucket / LOCAL_HALF_LIFE)
        self.local_seen = 0.0
        self.local_expected = 0.0
        self.disp_a = 0.0  # decayed sum of (window count - expected)**2 - expected
        self.disp_b = 0.0  # decayed sum of expected**2
        self._cache: tuple[int, list[float], list[float]] | None = None
        self._hour_f: tuple[int, list[float]] | None = None

    # ------------------------------------------------------------ calendar

    def _slots(self, b: int) -> tuple[int, int]:
        seconds = b * self.bucket + self.offset
        hour = int(seconds // 3600) % 24
        day = (int(seconds // 86400) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        return hour, day

    # ------------------------------------------------------------ learning

    def fold(self, b: int, count: float) -> None:
        """Fold a complete bucket ``b`` (> the last folded) in; buckets skipped count as empty."""
        if b <= self.t:
            self.add_late(b, count)
            return
        gap = b - self.t
        if gap > self.max_gap:
            # Long silence (or a restart after months): the old sums have decayed to nothing
            # anyway; decay them at once instead of walking every empty bucket.
            w = self.lam ** (gap - self.max_gap)
            self.s, self.n, self.t = self.s * w, self.n * w, b - self.max_gap
        for i in range(self.t + 1, b):  # empty buckets still teach "nothing happens at 3 am"
            self._fold_one(i, 0.0)
        self._fold_one(b, count)

    def skip_to(self, b: int) -> None:
        """Fold every bucket up to ``b`` as empty."""
        if b > self.t:
            self.fold(b, 0.0)

    def _fold_one(self, i: int, count: float) -> None:
        if self.n > 0:
            # Against the long-run expectation, not one already corrected by ``local``: else
            # the correction would undo itself once it is right.
            e = self.usual(i)
            self.local_seen = self.local_seen * self.lam_local + count
            self.local_expected = self.local_expected * self.lam_local + e
        w = self.lam ** (i - self.t)
        self.s = self.s * w + count
        self.n = self.n * w + 1.0
        self.t = i
        hour, day = self._slots(i)
        self.hours.add(hour, i, count, 1.0)
        # A weekday's "buckets" are weighted by their hour's factor: a weekday seen only from
        # midnight to 1 am has seen a quiet hour, not a quiet day.
        self.days.add(day, i, count, self._hour_factor(hour, i))
        self._cache = None

    def add_late(self, b: int, count: float) -> None:
        """Posts that arrive after their bucket was folded (or before the series began)."""
        if b < self.origin:
            self._extend(max(b, self.t - self.max_gap))
        w = self.lam ** (self.t - b)
        self.s += count * w
        hour, day = self._slots(b)
        self.hours.add(hour, b, count, 0.0)
        self.days.add(day, b, count, 0.0)
        self._cache = None

    def _extend(self, b: int) -> None:
        """Move the series' start back to ``b``: the buckets in between were empty, not unknown."""
        for i in range(b, self.origin):
            self.n += self.lam ** (self.t - i)
            hour, day = self._slots(i)
            self.hours.add(hour, i, 0.0, 1.0)
            self.days.add(day, i, 0.0, self._hour_factor(hour, i))
        self.origin = b

    def _hour_factor(self, hour: int, i: int) -> float:
        # Refreshed every few hours of data: the pattern moves slowly, factors() costs 24 steps.
        if self._hour_f is None or abs(i - self._hour_f[0]) * self.bucket >= HOUR_REFRESH:
            self._hour_f = (i, self.hours.factors(i))
        return self._hour_f[1][hour]

    def observe_window(self, count: float, expected: float, buckets: int = 1) -> None:
        """Learn the over-dispersion of whole windows (what the alert test is made on).

        Method of moments, ``phi = sum((count - expected)**2 - expected) / sum(expected**2)``,
        with each window's squared residual capped at ``DISPERSION_CAP**2`` times the variance
        the model gives it: one burst (or one outlier) moves phi like an ordinary high window,
        not like the thousand windows its squared residual would outweigh; bursts that keep
        coming (more than about one window in ``DISPERSION_CAP**2``) still raise phi, step by
        step, until they are within the cap: then they are this series' normal noise.
        ``buckets`` is the window's length: the sums forget at the level's half-life in time.
        """
        if expected <= 0.0:
            return
        var = expected + self.phi * expected * expected
        r2 = min((count - expected) ** 2, DISPERSION_CAP * DISPERSION_CAP * var)
        lam = self.lam**buckets
        self.disp_a = self.disp_a * lam + r2 - expected
        self.disp_b = self.disp_b * lam + expected * expected

    def rebase(self, ratio: float) -> None:
        """Take the level of the day to be ``ratio`` times the learned one (a lasting shift)."""
        if self.local_expected <= 0.0 or ratio <= 0.0:
            return
        self.local_seen = ratio * (self.local_expected + LOCAL_PRIOR) - LOCAL_PRIOR

    # ------------------------------------------------------------ reading

    @property
    def span(self) -> int:
        """Buckets of history behind the level."""
        return self.t - self.origin + 1

    @property
    def rate(self) -> float:
        """Usual posts per bucket, ignoring the time of day."""
        return self.s / self.n if self.n > 0 else 0.0

    @property
    def phi(self) -> float:
        a = self.disp_a + DISPERSION_PRIOR * DISPERSION_WEIGHT
        return max(0.0, a / (self.disp_b + DISPERSION_WEIGHT))

    def usual(self, b: int) -> float:
        """The long-run expectation of bucket ``b``: level x hour-of-day x weekday."""
        if self._cache is None or self._cache[0] != self.t:
            self._cache = (self.t, self.hours.factors(self.t), self.days.factors(self.t))
        _, fh, fd = self._cache
        hour, day = self._slots(b)
        return self.rate * fh[hour] * fd[day]

    def expected(self, b: int) -> float:
        """What bucket ``b`` is expected to hold: the long-run usual at today's level."""
        return self.usual(b) * self.local

    @property
    def local(self) -> float:
        return (self.local_seen + LOCAL_PRIOR) / (self.local_expected + LOCAL_PRIOR)

    def per_day(self) -> float:
        return self.rate * 86400.0 / self.bucket

    # ------------------------------------------------------------ persistence

    def dump(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "t": self.t,
            "s": round(self.s, 6),
            "n": round(self.n, 6),
            "h": self.hours.dump(),
            "d": self.days.dump(),
            "disp": [round(self.disp_a, 6), round(self.disp_b, 6)],
            "local": [round(self.local_seen, 6), round(self.local_expected, 6)],
        }

    def load(self, data: dict[str, Any]) -> None:
        self.origin, self.t = int(data["origin"]), int(data["t"])
        self.s, self.n = float(data["s"]), float(data["n"])
        self.hours.load(data["h"])
        self.days.load(data["d"])
        self.disp_a, self.disp_b = (float(v) for v in data["disp"])
        self.local_seen, self.local_expected = (float(v) for v in data.get("local", (0.0, 0.0)))
        self._cache = None
