"""The usual level of one series: its own rate, hour-of-day and day-of-week pattern, the level
of the day, and how widely its windows scatter around all that (over-dispersion).

Buckets (``bucket`` seconds, numbered from the epoch) are folded in once they have left the
detection window, so a wave being judged never judges itself. Everything is a decayed sum —
``S = sum(count_i * lam**(t - i))`` with ``lam`` from a half-life — which makes the state a
bounded handful of floats per series whatever the history (24 x 2 hour slots, 7 weekday slots,
a dozen more), and lets a late post (crawled hours after it was published) be added exactly:
its bucket's weight is known from its age.

Expected count of bucket ``b`` = ``rate * f_hour(b) * f_weekday(b) * local``, where

* ``rate``       decayed posts per bucket over decayed buckets seen (half-life ``half_life``);
* ``f_hour``     (S_h + a) / (rate_s * N_h + a): posts seen in that hour of the day over the posts
                 a flat series would have had there. Weekdays and weekends each correct the
                 profile of all days by their own data (people's week is not one day repeated:
                 Saturday at 2 am is not Tuesday at 2 am). ``a`` pseudo-posts shrink a factor to
                 1: at least ``PRIOR_POSTS`` (a quiet product, a handful of posts a week, does
                 not learn a "pattern" from noise) and at least ``PRIOR_OCCURRENCES`` of the
                 slot's own posts at the usual rate (the first Saturday a series sees moves its
                 Saturday factor halfway, not all the way on the strength of its first hour);
* ``f_weekday``  the same per day of the week;
* ``local``      the level of the day against the long-run one (news days, outages, a lasting
                 shift adopted by ``rebase``): decayed sums over the last hours of what was seen
                 over what the long-run level expected, shrunk to 1 by ``LOCAL_PRIOR``. It is
                 measured against the long-run expectation, not one it already corrects: a
                 correction measured against itself undoes itself once it is right.

A slot's "buckets" (``N_h``) are counted at the level of the day they were seen at
(Holt-Winters' seasonal ratios, as decayed sums): after the level triples, Mondays seen at the
new level are Mondays, not a busy weekday, so a lasting shift does not come back as a new alarm
each time the calendar turns to a day last seen at the old level.

Priors are evidence, not constants. ``a`` and ``LOCAL_PRIOR`` are stated in posts, and a post's
weight as evidence depends on the series: a window expected to hold ``E`` with over-dispersion
``phi`` is worth ``E / (1 + phi * E)`` Poisson posts. So the priors are scaled by ``1 + phi * E``
(``prior``): a quiet product's posts count one each, while a series of 10^8 per bucket whose level
wobbles by half is not trusted to have learned a daily pattern from three spiky days.

Over-dispersion (``phi``: a window's variance is ``E + phi * E**2``) is learned from the series'
own windows (and, for the spike test, single buckets), not assumed: see ``observe_window`` for
the estimator, which is robust to bursts (capped) and weighted so that every window of a big
series counts alike. A small prior (``DISPERSION_PRIOR`` worth ``DISPERSION_WEIGHT`` squared posts
of expectation) matters only where the data carry little information about phi: a quiet
product, whose windows hold a post or two, keeps near-Poisson noise until it has said otherwise.

The seasonal sums remember three times longer than the level: a pattern needs many days of data,
a level should follow the product's recent life. Hours and weekdays are in UTC plus ``offset``
(the config's time zone: the users' own day and week).
A bucket without data (``skip_missing``) ages the sums and teaches nothing.
"""

from __future__ import annotations

from typing import Any

from .seasonal_sums import PRIOR_POSTS, DecayedSlots, dispersion, dispersion_step

__all__ = ["SeasonalBaseline"]

PRIOR_OCCURRENCES = 1.0  # ... or this many slots' worth of posts at the usual rate
SEASONAL_MEMORY = 3.0  # seasonal factors' half-life, in level half-lives
HOUR_REFRESH = 3 * 3600.0  # seconds of data between refreshes of the hour factors
FACTOR_REFRESH = 3600.0  # ... and of the factors read for the expectation

LOCAL_HALF_LIFE = 6 * 3600.0  # how fast the level of the day is followed
LOCAL_PRIOR = 10.0
STRAY_SILENCE = 10.0  # posts the series' own rate expects in a silence no real one has
WEEKEND = (5, 6)  # days (0 = Monday) with their own hour-of-day profile


class SeasonalBaseline:
    def __init__(
        self, bucket: float, half_life: float, origin: int, offset: float = 0.0, window: int = 1
    ):
        self.bucket = bucket
        self.window = window  # buckets in the detection window (what phi is learned on)
        self.offset = offset
        self.lam = 0.5 ** (bucket / half_life)
        lam_s = 0.5 ** (bucket / (half_life * SEASONAL_MEMORY))
        self.origin = origin  # first bucket of the series
        self.t = origin - 1  # last bucket folded in
        self.s = 0.0  # decayed posts
        self.n = 0.0  # decayed buckets
        # Beyond a few seasonal half-lives an empty bucket teaches nothing measurable.
        self.max_gap = int(6 * half_life * SEASONAL_MEMORY / bucket) + 1
        self.hours = DecayedSlots(48, lam_s, self.t)  # weekdays' hours, then weekends'

        self.days = DecayedSlots(7, lam_s, self.t)
        self.lam_local = 0.5 ** (bucket / LOCAL_HALF_LIFE)
        self.local_seen = 0.0
        self.local_expected = 0.0
        self.disp_a = 0.0  # decayed sum of weight * ((window count - expected)**2 - expected)
        self.disp_b = 0.0  # decayed sum of weight * expected**2
        self.bdisp_a = 0.0  # the same for single buckets
        self.bdisp_b = 0.0
        self._cache: tuple[int, list[float], list[float]] | None = None
        self._hour_f: tuple[int, list[float]] | None = None

    # ------------------------------------------------------------ calendar

    def _slots(self, b: int) -> tuple[int, int]:
        seconds = b * self.bucket + self.offset
        hour = int(seconds // 3600) % 24
        day = (int(seconds // 86400) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        return hour, day

    def _profiles(self, now: int) -> list[float]:
        """Hour-of-day factors: 24 for weekdays, then 24 for weekends.

        Each day type's factor is the profile of all days, corrected by how that type's own
        posts compare with what the all-days profile expects there. With little data of its own
        (a first weekend, or only a few of its hours seen so far) a type's correction stays
        near 1, instead of a profile learned from one night.
        """
        prior = self.slot_prior(3600.0)
        own = [self.hours.at(k, now) for k in range(48)]
        pooled = [(own[h][0] + own[24 + h][0], own[h][1] + own[24 + h][1]) for h in range(24)]
        total_s = sum(s for s, _ in pooled)
        total_n = sum(n for _, n in pooled)
        rate = total_s / total_n if total_n > 0 else 0.0
        every = [(s + prior) / (rate * n + prior) for s, n in pooled]
        out: list[float] = []
        for part in (own[:24], own[24:]):
            expect = sum(n * f for (_, n), f in zip(part, every, strict=True))
            r = sum(s for s, _ in part) / expect if expect > 0 else 0.0
            out += [
                f * (s + prior) / (r * n * f + prior) for (s, n), f in zip(part, every, strict=True)
            ]
        return out

    def _add_hour(self, hour: int, day: int, i: int, count: float, buckets: float) -> None:
        self.hours.add(hour + (24 if day in WEEKEND else 0), i, count, buckets)

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

    def skip_missing(self, b: int) -> None:
        """Move the clock to bucket ``b`` over buckets without data: the sums age, nothing is
        learned (a gap is not a run of zeros), so the level and its pattern stay as they were."""
        if b <= self.t:
            return
        w = self.lam ** (b - self.t)
        self.s, self.n = self.s * w, self.n * w
        wl = self.lam_local ** (b - self.t)
        self.local_seen, self.local_expected = self.local_seen * wl, self.local_expected * wl
        self.t = b
        self._cache = None

    def skip_to(self, b: int) -> None:
        """Fold every bucket up to ``b`` as empty."""
        if b > self.t:
            self.fold(b, 0.0)

    def _fold_one(self, i: int, count: float) -> None:
        # A seasonal slot's "buckets" are weighted by the level of the day they were seen at: a
        # Monday seen after the level doubled has seen a Monday at twice the level, not a busy
        # Monday (Holt-Winters' seasonal ratios, as decayed sums).
        level = self.local
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
        self._add_hour(hour, day, i, count, level)
        # ... and a weekday's also by their hour's factor: a weekday seen only from midnight to
        # 1 am has seen a quiet hour, not a quiet day.
        self.days.add(day, i, count, level * self._hour_factor(hour, day, i))

    def add_late(self, b: int, count: float) -> None:
        """Posts that arrive after their bucket was folded (or before the series began).

        A post from before the series began moves its start back, the buckets in between
        learned as empty, unless the series' own rate makes that silence implausible (more
        than ``STRAY_SILENCE`` posts expected in it): then it is a stray (a pinned thread, an
        old page turned up), whose lone presence does not show that nothing else was posted
        all that while, and it is not learned. A backfill, newest first or oldest first,
        extends the history post by post, each gap as long as the series' rate allows.
        """
        if b < self.origin:
            if self.n > 0 and self.rate * (self.origin - b) > STRAY_SILENCE:
                return
            self._extend(max(b, self.t - self.max_gap))
        w = self.lam ** (self.t - b)
        self.s += count * w
        hour, day = self._slots(b)
        self._add_hour(hour, day, b, count, 0.0)
        self.days.add(day, b, count, 0.0)
        self._cache = None

    def _extend(self, b: int) -> None:
        """Move the series' start back to ``b``: the buckets in between were empty, not unknown."""
        level = self.local
        for i in range(b, self.origin):
            self.n += self.lam ** (self.t - i)
            hour, day = self._slots(i)
            self._add_hour(hour, day, i, 0.0, level)
            self.days.add(day, i, 0.0, level * self._hour_factor(hour, day, i))
        self.origin = b

    def _hour_factor(self, hour: int, day: int, i: int) -> float:
        # Refreshed every few hours of data: the pattern moves slowly, factors() costs 48 steps.
        if self._hour_f is None or abs(i - self._hour_f[0]) * self.bucket >= HOUR_REFRESH:
            self._hour_f = (i, self._profiles(i))
        return self._hour_f[1][hour + (24 if day in WEEKEND else 0)]

    def observe_window(self, count: float, expected: float, buckets: int = 1) -> None:
        """Learn the over-dispersion of whole windows (what the alert test is made on).

        Method of moments: each window says ``(count - E)**2 - E`` about ``phi * E**2``. Two
        things make it trustworthy on real series:

        * capped: a window's squared residual counts at most ``DISPERSION_CAP**2`` times the
          variance the model gives it. One burst (or one outlier) moves phi like an ordinary
          high window, not like the thousand windows its square would outweigh, so a group
          complaint does not teach the product that group complaints are normal. Bursts that
          keep coming (more than about one window in ``DISPERSION_CAP**2``) still raise phi,
          step by step, until they are within the cap: then they are this series' noise.
        * weighted by ``1 / (1 + DISPERSION_PRIOR * E)**2`` (least squares for a variance
          ``E + phi E**2``, the weights taken at the prior's phi): where counting noise
          dominates (a quiet product) that is the classic ``sum E**2`` weighting; where the
          level's wobble dominates (a big or spiky series) every window counts alike, so the
          quiet hours of an on/off series cannot outvote its bursts just because their
          expectation, and so their weight, was larger. The weights do not follow the running
          estimate: a recursive sum cannot re-weigh its past, and early windows weighed at an
          early, small phi would pull it down for good.

        The caller gives the window's expectation as it stood before the window's own buckets
        were folded in (see ``Series._fold``): measured against an expectation that has already
        moved towards it, a window's scatter would be understated.

        ``buckets`` is the window's length: the sums forget at the level's half-life in time.
        """
        self.disp_a, self.disp_b = dispersion_step(
            self.disp_a, self.disp_b, self.phi, count, expected, self.lam**buckets
        )

    def observe_bucket(self, count: float, expected: float) -> None:
        """The same for single buckets (the spike test's scale)."""
        self.bdisp_a, self.bdisp_b = dispersion_step(
            self.bdisp_a, self.bdisp_b, self.phi_bucket, count, expected, self.lam
        )

    def rebase(self, seen: float, usual: float) -> None:
        """Forget the level of the day: from now on it is what was ``seen`` where the long-run
        level expected ``usual`` (a lasting shift; see ``Series._track_shift``)."""
        self.local_seen, self.local_expected = max(seen, 0.0), usual

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
        """Over-dispersion of a window: its variance is ``E + phi * E**2``."""
        return dispersion(self.disp_a, self.disp_b)

    @property
    def phi_bucket(self) -> float:
        """The same for a single bucket."""
        return dispersion(self.bdisp_a, self.bdisp_b)

    def usual(self, b: int) -> float:
        """The long-run expectation of bucket ``b``: level x hour-of-day x weekday."""
        # The factors move slowly: refreshed every hour of data, not every bucket.
        if self._cache is None or (self.t - self._cache[0]) * self.bucket >= FACTOR_REFRESH:
            days = self.days.factors(self.t, self.slot_prior(86400.0))
            self._cache = (self.t, self._profiles(self.t), days)
        _, fh, fd = self._cache
        hour, day = self._slots(b)
        return self.rate * fh[hour + (24 if day in WEEKEND else 0)] * fd[day]

    def expected(self, b: int) -> float:
        """What bucket ``b`` is expected to hold: the long-run usual at today's level."""
        return self.usual(b) * self.local

    def slot_prior(self, seconds: float) -> float:
        """Pseudo-posts pulling a seasonal slot ``seconds`` long (an hour, a day) towards 1: the
        posts of ``PRIOR_OCCURRENCES`` of it at the usual rate, and never less evidence than
        ``PRIOR_POSTS``. The first Saturday a series sees moves its Saturday factor halfway, not
        all the way on the strength of its first hour."""
        return max(self.prior(PRIOR_POSTS), PRIOR_OCCURRENCES * self.rate * seconds / self.bucket)

    def prior(self, posts: float) -> float:
        """``posts`` pseudo-posts of evidence, in this series' own counts (see the module)."""
        return posts * (1.0 + self.phi * self.rate * self.window)

    @property
    def local(self) -> float:
        prior = self.prior(LOCAL_PRIOR)
        return (self.local_seen + prior) / (self.local_expected + prior)

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
            "bdisp": [round(self.bdisp_a, 6), round(self.bdisp_b, 6)],
            "local": [round(self.local_seen, 6), round(self.local_expected, 6)],
            "offset": self.offset,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.origin, self.t = int(data["origin"]), int(data["t"])
        self.s, self.n = float(data["s"]), float(data["n"])
        hours = data["h"]
        if len(hours[0]) == 24:  # saved before weekends had their own profile: 5/7 and 2/7
            hours = [
                [v * 5 / 7 for v in hours[0]] + [v * 2 / 7 for v in hours[0]],
                [v * 5 / 7 for v in hours[1]] + [v * 2 / 7 for v in hours[1]],
                list(hours[2]) * 2,
            ]
        self.hours.load(hours)
        self.days.load(data["d"])
        self.disp_a, self.disp_b = (float(v) for v in data["disp"][:2])
        self.bdisp_a, self.bdisp_b = (float(v) for v in data.get("bdisp", (0.0, 0.0))[:2])
        self.local_seen, self.local_expected = (float(v) for v in data.get("local", (0.0, 0.0)))
        # Slots were learned on the clock they were saved with (UTC before zones were read): a
        # series keeps it, or its hours would be read against another hour's profile.
        self.offset = float(data.get("offset", 0.0))
        self._cache = None
