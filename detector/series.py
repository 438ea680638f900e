"""One series: counts of a product (or product x category) in buckets, its learned baseline,
and the test that says whether its latest window is a burst.

The test, per series and rule (``Detection.rule_for``; times cut into ``bucket``-long buckets):

* ``count``     posts in the window: the last ``window`` of whole buckets plus the current one;
* ``expected``  what the baseline expects there (level x hour-of-day x weekday, see
                ``baseline``); while the series has less than ``cold_start`` of history, max(its
                crude rate, a floor of half a post per window) instead: a new product is judged
                by ``min_count``;
* ``p``         P(X >= count) under a negative binomial with that mean and the over-dispersion
                the series learned from its own windows (``countmodel``): a count model, fine
                with zeros, and as wide as this series' own noise;
* hot when count >= min_count, count >= ratio * expected and p <= p_value, and the window is
  above the series' wave memory (below).

Where a series' buckets wobble far more than counting noise (``phi_bucket * rate >=
SPIKE_WOBBLE``: measurements replayed by ``--counts``, very busy streams), the count model's tail
is not that series' own (real levels are heavy-tailed: on/off jobs, spikes, plateaus), so there
the window is hot when its last bucket or its slow mean goes beyond the highest the series
reached over the baseline's memory, or its last bucket far beyond the recent range
(``record``), with ``min_count``; the
count model then only says how long the wave stays open. One rise, one detection: after a wave
fired, a record waits ``RECORD_REST`` windows before it can fire again. A window of such a series
is also hot when it holds ``SEASONAL_RATIO`` times what the series' own hour of the day and
weekday expect there, with a tail chance below ``p_value`` squared under its own window scatter: a
rush at an hour that is always quiet (a night's demand at the level of an evening's) breaks no
record, yet is plainly unusual for that hour. Complaint counts, where
counting noise dominates, are judged as below.

Why each piece is there (each was needed on real series, and each is tested):

* Spike test. Where the buckets are big and their spread is mostly real wobble rather than
  counting noise (``phi_bucket * expected >= 1``: measurements, very busy streams), the last
  bucket alone is also tested against its own learned spread: summed over a window, a one-bucket
  jump far outside anything the series does is diluted into the window's wobble. A count series
  (counting noise dominates) is judged on the window only: that is the rule users set.
* Robust learning. Buckets join the baseline once they leave the window, so a wave never hides
  itself; while a wave is open they join clipped to an ordinary high count (three of their own
  standard deviations), or a big wave would teach the product that waves are normal.
* Lasting shifts. A wave whose window has stayed elevated for ``LASTING`` windows is a new level,
  not a burst that goes on: its level becomes the usual (``baseline.rebase``), so the wave can
  resolve instead of alarming for days while the slow baseline catches up, and it does not
  refire afterwards. Only a reported rise is adopted this way: a rise is reported first, then
  learned.
* Quiet spells. The expectation is the usual at the level of the day, but never below the usual:
  a busy day raises the bar, a quiet one (a holiday, a source down, a dip) does not lower it, so
  its end, back to the usual, is not a burst. Drops are not reported, and neither are their ends.
* Gaps. A bucket with no data at all (a replayed sensor's outage) is not a zero: it joins
  neither the level nor the dispersion, and a window is judged on the buckets it has (at least
  half of them).
* Wave memory (hysteresis after resolution). A new wave must exceed the peak of the wave that
  just resolved, halving every ``TAIL_HALF_LIFE`` windows: a smaller second swell after a lull is
  that wave's tail, not news. And a series that has had waves again and again
  (``BURSTY_WAVES`` in a ``BURSTY_HALF_LIFE``-window memory; a burst held back by this memory
  counts too) is bursty by nature, as an on/off job is: its next wave must beat the recent
  waves' peak (remembered over the baseline's half-life) by ``BURSTY_MARGIN``. One wave does
  not make a series bursty: a quiet product's second wave the next day still fires. (The count
  model cannot learn this from its dispersion: a series that idles and bursts is not a wider
  version of its idle self.)
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from yujing.config import BurstRule

from .baseline import SeasonalBaseline
from .countmodel import tail
from .details import Details
from .look import Look, Wave, bucket_of
from .record import Record
from .series_counts import Counting
from .series_state import SeriesState

__all__ = ["Look", "Series", "Wave", "bucket_of", "EXPECTED_FLOOR", "SERIES_POINTS"]

EXPECTED_FLOOR = 0.5  # posts per window assumed for a series with too little history
COLD_PHI = 0.25  # over-dispersion assumed while the baseline is still being learned
RESOLVE_P = 0.01  # a firing wave stays open while its window is at least this unusual
TAIL_HALF_LIFE = 6.0  # windows: how fast a resolved wave's peak stops covering its tail
BURSTY_HALF_LIFE = 48.0  # windows: the memory of how many waves there were
BURSTY_WAVES = 1.5  # waves in that memory (decayed) that make a series bursty
BURSTY_MARGIN = 1.5  # a bursty series' next wave must beat its recent peaks by this much
SPIKE_WOBBLE = 1.0  # bucket-scale extra variance / counting variance needed for the spike test
SERIES_POINTS = 24  # buckets shown in the alert's sparkline
RECORD_REST = 12  # windows after a wave fired before a record can fire again (one per rise)
SEASONAL_RATIO = 3.0  # a wobbly series' window this many times its usual there is a rise


class Series(Counting, SeriesState):
    """Counts of one product (or product x category) in buckets, and its learned baseline."""

    def __init__(
        self,
        key: str,
        product: str,
        category: str | None,
        rule: BurstRule,
        origin: int,
        utc_offset: float = 0.0,
    ):
        self.key, self.product, self.category, self.rule = key, product, category, rule
        self.size = rule.bucket
        self.w = max(1, round(rule.window / rule.bucket))  # whole buckets in the window
        self.ring_len = max(2 * self.w + 2, SERIES_POINTS + 1)
        self.counts = [0] * self.ring_len
        self.missing = bytearray(self.ring_len)  # 1: no data for that bucket (not a zero)
        self.head = origin  # newest bucket held in the ring
        self.details: dict[int, Details] = {}  # buckets in the window (and the one before it)
        # Buckets before the series' first that late posts came to while still in the window:
        # added to the baseline when they leave it.
        self.unfolded: set[int] = set()
        self.baseline = SeasonalBaseline(
            rule.bucket, rule.baseline, origin, offset=utc_offset, window=self.w
        )
        self.wave: Wave | None = None
        self.elevated_since: int | None = None  # bucket since which an open wave is elevated
        # The dispersion grid's current window: its index, posts, expected, buckets folded.
        self._win: list[float] = [-1, 0.0, 0.0, 0]
        # Wave memory: the last resolved wave's peak and when (epoch seconds); a decayed count of
        # waves and decayed max of their peaks, as of ``waves_at``.
        self.tail_peak, self.tail_at = 0.0, 0.0
        self.waves, self.waves_peak, self.waves_at = 0.0, 0.0, 0.0
        self.held = 0.0  # peak of a burst being held back by that memory (0: none)
        self.told_unjudged = False  # the log said its complaints pile up before it can judge
        # Per bucket, posts that arrived after their window had passed and went straight into
        # the baseline, with what the bucket was expected to hold and the series' dispersion
        # before they did; the detector reads and empties it (``BurstDetector``: a wave
        # learned so is said, not silent).
        self.learned_late: dict[int, tuple[int, float, float]] = {}
        self.last: Look | None = None  # the latest evaluation, for asking why it did (not) fire
        self.record = Record(rule.bucket, rule.baseline, self.w, origin)
        self.fired_at = -math.inf  # when its last wave fired (epoch seconds)
        # Its values are measurements (fractional readings, scaled to whole units): their
        # counting noise is an artefact of the scale, so they are judged by their records.
        self.measurement = False

    def floor(self, ts: float) -> float:
        """What a new wave's window must exceed, from the waves before it (see the module)."""
        window = self.rule.window
        tail_floor = self.tail_peak * 0.5 ** (
            max(0.0, ts - self.tail_at) / (TAIL_HALF_LIFE * window)
        )
        age = max(0.0, ts - self.waves_at)
        recent = self.waves * 0.5 ** (age / (BURSTY_HALF_LIFE * window))
        bursty = 0.0
        if recent >= BURSTY_WAVES:
            bursty = BURSTY_MARGIN * self.waves_peak * 0.5 ** (age / self.rule.baseline)
        return max(tail_floor, bursty)

    def _remember(self, ts: float, peak: float, waves: float) -> None:
        age = max(0.0, ts - self.waves_at)
        self.waves = self.waves * 0.5 ** (age / (BURSTY_HALF_LIFE * self.rule.window)) + waves
        self.waves_peak = max(self.waves_peak * 0.5 ** (age / self.rule.baseline), peak)
        self.waves_at = ts

    def resolved(self, now: datetime, peak: float) -> None:
        """The open wave ended (``peak``: its highest window count): remember it."""
        ts = now.timestamp()
        self._remember(ts, float(peak), 1.0)
        self.tail_peak, self.tail_at = float(peak), ts
        self.wave = None
        self.elevated_since = None

    def onset(self, bn: int) -> datetime:
        """When the rise seen at bucket ``bn`` began: going back from the newest bucket above
        the usual level, the first bucket of that run (within two windows, after the last wave).

        It comes from the posts, not from when they were looked at: two daemons that collected
        the same posts name the wave alike, whichever second each noticed it.
        """
        base, r = self.baseline, self.ring_len
        level = max(base.local, 1.0)
        after = bucket_of(self.tail_at, self.size) if self.tail_at else None
        oldest = max(bn - 2 * self.w, self.head - r + 1)
        if after is not None:
            oldest = max(oldest, after + 1)

        def above(k: int) -> bool:
            return not self.missing[k % r] and self.counts[k % r] > level * base.usual(k)

        k = next((k for k in range(bn, oldest - 1, -1) if above(k)), bn)
        while k > oldest and above(k - 1):
            k -= 1
        return datetime.fromtimestamp(k * self.size, UTC)

    # ------------------------------------------------------------ the test

    def look(self, now: datetime) -> Look:
        """Evaluate the window ending at ``now`` (moves the clock; adopts a lasting shift)."""
        ts = now.timestamp()
        bn = bucket_of(ts, self.size)
        self.advance(bn)
        frac = ts / self.size - bn
        rule, base, r = self.rule, self.baseline, self.ring_len
        lo = bn - self.w
        present = [k for k in range(lo, bn + 1) if k > self.head - r and not self.missing[k % r]]
        count = sum(self.counts[k % r] for k in present)
        cold = base.span * self.size < rule.cold_start
        # A rise is judged against the higher of the usual and the level of the day: a busy day
        # raises the bar, but a quiet one (an outage, a holiday, a dip) does not lower it, so
        # its end, back to the usual, is not a burst.
        level = max(base.local, 1.0)
        expected = level * sum(base.usual(k) * (frac if k == bn else 1.0) for k in present)
        # The last whole bucket (and what there is of the current one), for the spike test.
        s_count = self.counts[(bn - 1) % r] + self.counts[bn % r]
        s_exp = 0.0 if self.missing[(bn - 1) % r] else base.usual(bn - 1)
        s_exp = level * (s_exp + frac * base.usual(bn))
        phi, s_phi = base.phi, base.phi_bucket
        if cold:
            # Too little history to trust the learned rate or its daily pattern: a floor makes
            # min_count decide for a quiet product, and wide error bars keep a busy one calm.
            expected, phi = max(EXPECTED_FLOOR, expected), max(COLD_PHI, phi)
            s_phi = max(COLD_PHI, s_phi)
        else:
            expected = max(expected, 1e-3)
        p = tail(count, expected, phi)
        # With not even one window of history before this one there is no "more than usual";
        # a window mostly without data is not judged.
        judged = base.span >= self.w and 2 * len(present) > self.w
        burst = count >= rule.min_count and count >= rule.ratio * expected and p <= rule.p_value
        p_spike = 1.0
        if s_exp > 0.0 and s_phi * s_exp >= SPIKE_WOBBLE:
            p_spike = tail(s_count, s_exp, s_phi)
        spike = (
            p_spike <= rule.p_value and s_count >= rule.min_count and s_count >= rule.ratio * s_exp
        )
        floor = self.floor(ts)
        hot = judged and (burst or spike) and count > floor
        wobbly = self.measurement or base.phi_bucket * base.rate >= SPIKE_WOBBLE
        record, beyond = self._records(bn)
        if wobbly:
            # Its own range is the yardstick (see ``record``): a record fires, at most once a
            # rise, and the count model's tail only says how long a wave stays open.
            rested = ts - self.fired_at >= RECORD_REST * rule.window
            # Judged whenever its last bucket has data: a reading every few buckets (an
            # irregular sensor) is still a reading, and its records are its own.
            judged = self.record.ready(bn - 1) and not self.missing[(bn - 1) % r]
            # ... or its window is several times what its own hour of the day and weekday
            # hold, far beyond its own scatter there: a rush at an hour that is always quiet
            # stays below the peaks of the busy hours, so no record sees it.
            # It is the count model's verdict, so the memory of earlier waves holds it as it
            # holds a burst (an on/off job's bursts at the same hours are no news).
            seasonal = count >= SEASONAL_RATIO * expected and p <= rule.p_value**2
            seasonal = seasonal and count > floor
            burst, spike = (record or seasonal) and count >= rule.min_count, False
            hot = judged and burst and rested
        if hot and self.wave is None:
            self.fired_at = ts
        if judged and (burst or spike) and not hot and self.wave is None:
            # A burst held back by the memory of earlier ones is still one more of them: it is
            # remembered (its peak, once it is over) as a wave that fired would be.
            self.held = max(self.held, float(count))
        elif self.held and not (burst or spike):
            self._remember(ts, self.held, 1.0)
            self.held = 0.0
        elevated = count >= 2 and p <= RESOLVE_P
        if judged and not cold:
            self._track_shift(bn, elevated)
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
        if p_spike < p:  # the stronger test says what held it back
            count_, exp_, p_ = s_count, s_exp, p_spike
        else:
            count_, exp_, p_ = count, expected, p
        if wobbly:
            conditions = (
                ("not judged", not judged),
                ("min_count", count < rule.min_count),
                (_record_held(beyond), not (record or seasonal)),
                ("rest after a wave", burst and not rested),
            )
        else:
            conditions = (
                ("not judged", not judged),
                ("min_count", count_ < rule.min_count),
                ("ratio", count_ < rule.ratio * exp_),
                ("p_value", p_ > rule.p_value),
                ("floor", (burst or spike) and count <= floor),
            )
        held = tuple(name for name, failed in conditions if failed)
        self.last = Look(
            bn,
            count,
            expected,
            min(p, p_spike),  # the stronger evidence: what the alert's score reports
            hot,
            elevated,
            cold,
            count / max(prev, 1),
            prev,
            window,
            series,
            start,
            judged,
            held,
            floor,
        )
        return self.last

    def _records(self, bn: int) -> tuple[bool, float]:
        """Whether the last complete bucket (or its window) beats the series' records, and by
        how much (see ``record``)."""
        rec, r, w = self.record, self.ring_len, self.w
        oldest = self.head - r + w  # a bucket whose whole window is still in the ring
        for j in range(max(rec.seen + 1, oldest), bn):
            if self.missing[j % r]:
                continue
            first = max(j - w + 1, self.baseline.origin)  # nothing before the series began
            ks = [k for k in range(first, j + 1) if not self.missing[k % r]]
            mean = sum(self.counts[k % r] for k in ks) / len(ks) if 2 * len(ks) > w else None
            rec.observe(j, float(self.counts[j % r]), mean)
        rec.learn_until(bn - 2, bn - 1 - w)
        if not rec.ready(bn - 1):
            return False, 0.0
        return rec.beyond(bn - 1)

    @property
    def judged_from(self) -> datetime:
        """When the series will have a window of history before its window, to judge it by."""
        first = self.baseline.origin + 2 * self.w
        return datetime.fromtimestamp(first * self.size, UTC)


def _record_held(beyond: float) -> str:
    """Why no record fired: how close the strongest scale came; beyond its record and still held,
    a spike of a shape the series showed lately (``record``)."""
    said = f"record (x{beyond:.2f} of it"
    return said + (", a spike of a shape seen lately)" if beyond >= 1.0 else ")")
