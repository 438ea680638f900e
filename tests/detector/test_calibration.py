"""The burst test's mechanisms for real series, each on a series built to need it.

Every test runs the detector as replay does (``observe_count`` per bucket, ``evaluate`` at the
bucket's end) with the shipped ``BurstRule`` defaults, 5-minute buckets and a 1-hour window, and
asserts what fires and when, so that removing the mechanism makes it fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random

from yujing.alerts import AlertState
from yujing.config import BurstRule, Detection
from yujing.detector.burst import BurstDetector

T0 = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
BUCKET = 300
PER_HOUR = 3600 // BUCKET
PER_DAY = 24 * PER_HOUR


@dataclass
class Run:
    detector: BurstDetector
    fired: list[int] = field(default_factory=list)  # bucket indexes where a wave fired
    resolved: list[int] = field(default_factory=list)


def replay(values: list[float | None], rule: BurstRule | None = None) -> Run:
    """Feed one series, bucket by bucket; ``None`` is a bucket without data (an outage)."""
    rule = rule or BurstRule(bucket=BUCKET, window=3600)
    run = Run(BurstDetector(Detection(burst=rule), None))
    det = run.detector
    for i, v in enumerate(values):
        at = T0 + timedelta(seconds=i * BUCKET)
        if v is None:
            det.observe_gap("p", at, at)
            continue
        det.observe_count("p", at, round(v))
        for alert in det.evaluate(["p"], at + timedelta(seconds=BUCKET)):
            if alert.state is AlertState.RESOLVED:
                run.resolved.append(i)
            elif alert.started_at == alert.updated_at:
                run.fired.append(i)
    return run


def noisy(n: int, level: float, cv: float, seed: int) -> list[float]:
    """A measurement-like series: ``level`` with multiplicative Gaussian noise."""
    rng = Random(seed)
    return [max(0.0, level * (1.0 + cv * rng.gauss(0.0, 1.0))) for _ in range(n)]


def poisson(rng: Random, lam: float) -> int:
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def test_a_lasting_level_shift_fires_once_then_becomes_the_usual():
    values = noisy(8 * PER_DAY, 1000.0, 0.05, seed=1)
    shift = 5 * PER_DAY
    for i in range(shift, len(values)):
        values[i] *= 3.0  # the level triples for good
    run = replay(values)
    assert len(run.fired) == 1 and shift <= run.fired[0] <= shift + 2
    # within a few windows the new level is the usual: the wave resolves, nothing refires
    # (not the next day either, when the weekday factors meet the new level)
    assert run.resolved and run.resolved[0] - shift <= 8 * PER_HOUR
    base = run.detector.series["burst:p"].baseline
    bn = len(values) - 1
    assert 2.5 * 1000 < base.expected(bn) < 3.5 * 1000


def test_dispersion_is_learned_from_the_series_own_noise():
    rng = Random(7)
    n, rise = 7 * PER_DAY, range(6 * PER_DAY + 12 * PER_HOUR, 6 * PER_DAY + 14 * PER_HOUR)
    steady = [float(poisson(rng, 100.0)) for _ in range(n)]
    wobbly = []
    for _ in range(n // PER_HOUR):  # the same mean, but its level wobbles hour by hour
        level = 100.0 * rng.gammavariate(10.0, 0.1)
        wobbly += [float(poisson(rng, level)) for _ in range(PER_HOUR)]
    for i in rise:  # the same moderate rise in both: +60% for two hours
        steady[i] *= 1.6
        wobbly[i] *= 1.6
    quiet_run, noisy_run = replay(steady), replay(wobbly)
    phi_quiet = quiet_run.detector.series["burst:p"].baseline.phi
    phi_noisy = noisy_run.detector.series["burst:p"].baseline.phi
    assert phi_noisy > 20 * max(phi_quiet, 1e-3)
    assert [i for i in quiet_run.fired if i in rise] and len(quiet_run.fired) == 1
    assert noisy_run.fired == []


def test_a_huge_valued_series_gives_the_verdicts_of_the_same_series_scaled_down():
    values = noisy(7 * PER_DAY, 20_000.0, 0.08, seed=3)
    for i in range(5 * PER_DAY, 5 * PER_DAY + 2 * PER_HOUR):
        values[i] *= 1.8  # a burst
    for i in range(6 * PER_DAY, len(values)):
        values[i] *= 2.5  # and a lasting shift beyond it
    small = replay(values)
    huge = replay([v * 10_000 for v in values])  # about 2 x 10^8 per bucket
    assert small.fired and len(small.fired) == 2
    assert huge.fired == small.fired and huge.resolved == small.resolved


def test_a_dip_inside_a_wave_does_not_resolve_and_refire():
    values = noisy(6 * PER_DAY, 1000.0, 0.05, seed=4)
    start = 5 * PER_DAY
    for i in range(start, start + 5 * PER_HOUR):
        values[i] *= 3.0
    for i in range(start + 2 * PER_HOUR, start + 2 * PER_HOUR + 4):
        values[i] /= 3.0  # 20 minutes back at the old level, then the wave goes on
    run = replay(values)
    assert len(run.fired) == 1 and start <= run.fired[0] <= start + 2
    assert all(r > start + 2 * PER_HOUR + 4 for r in run.resolved)


def test_a_resolved_wave_does_not_refire_on_its_tail_but_a_bigger_one_fires():
    rng = Random(5)
    quiet = 2 / PER_DAY  # a quiet product: two complaints a day

    def counts(extra: dict[int, int]) -> list[float]:
        return [float(poisson(rng, quiet) + extra.get(i, 0)) for i in range(6 * PER_DAY)]

    wave_at, tail_at = 5 * PER_DAY, 5 * PER_DAY + 6 * PER_HOUR
    first = {wave_at + k: 2 for k in range(10)}  # 20 complaints in under an hour
    tail = {tail_at + k: 2 for k in range(6)}  # six hours later a smaller swell: 12
    run = replay(counts(first | tail))
    assert len(run.fired) == 1 and wave_at <= run.fired[0] < wave_at + 10
    assert run.resolved and run.resolved[0] < tail_at, "the first wave had resolved"
    bigger = {tail_at + k: 4 for k in range(8)}  # a swell bigger than the wave: news
    run = replay(counts(first | bigger))
    assert len(run.fired) == 2 and tail_at <= run.fired[1] < tail_at + 8


def test_a_series_that_bursts_again_and_again_stops_alerting_on_the_same_bursts():
    values = noisy(8 * PER_DAY, 100.0, 0.1, seed=6)
    on = [d * PER_DAY + h * PER_HOUR for d in range(3, 7) for h in (2, 10, 18)]
    for s in on:  # an on/off job: 200x its idle level for 30 minutes, three times a day
        for i in range(s, s + 6):
            values[i] *= 200.0
    big = 7 * PER_DAY + 6 * PER_HOUR
    for i in range(big, big + 6):
        values[i] *= 2000.0  # ten times the usual burst
    run = replay(values)
    early = [i for i in run.fired if i < 5 * PER_DAY]
    late = [i for i in run.fired if 5 * PER_DAY <= i < big]
    assert early, "the first bursts are news"
    assert late == [], "by the third day they are this series' normal"
    assert [i for i in run.fired if big <= i < big + 6]


def test_an_outage_is_not_a_drop_and_its_end_is_not_a_rise():
    values: list[float | None] = list(noisy(6 * PER_DAY, 1000.0, 0.05, seed=8))
    for i in range(4 * PER_DAY, 4 * PER_DAY + 10 * PER_HOUR):
        values[i] = None  # ten hours without data
    run = replay(values)
    assert run.fired == []
    base = run.detector.series["burst:p"].baseline
    assert 0.9 * 1000 < base.expected(len(values) - 1) < 1.1 * 1000
    zeros = replay([0.0 if v is None else v for v in values])
    assert zeros.detector.series["burst:p"].baseline.rate < 0.95 * base.rate, (
        "read as zeros, ten hours of nothing would have been learned as part of the level"
    )


def test_the_end_of_a_quiet_spell_is_not_a_burst():
    values = noisy(6 * PER_DAY, 1000.0, 0.05, seed=12)
    for i in range(4 * PER_DAY, 4 * PER_DAY + 12 * PER_HOUR):
        values[i] *= 0.2  # half a day at a fifth of the usual (a holiday, a source down)
    run = replay(values)
    assert run.fired == [], "back to the usual is not a burst, however low the day was"
    end = 4 * PER_DAY + 12 * PER_HOUR
    for i in range(end + 2 * PER_HOUR, end + 4 * PER_HOUR):
        values[i] *= 2.0  # a real burst soon after: twice the usual
    assert [i for i in replay(values).fired if i >= end + 2 * PER_HOUR]


def test_a_flat_series_needs_a_rise_of_practical_size():
    values = [1000.0] * (5 * PER_DAY)  # a long flat stretch: no noise at all to learn from
    values += [1000.0 * (1.06 if (i // 6) % 2 else 1.0) for i in range(PER_DAY)]  # +6% bumps
    flat = replay(values)
    assert flat.fired == [], "improbable under counting noise, but too small to matter"
    start = len(values)
    values += [3000.0] * PER_HOUR
    (fired,) = replay(values).fired
    assert start <= fired <= start + 2


def test_weekend_hours_are_learned_apart_from_weekdays():
    rng = Random(9)
    values = []
    for i in range(28 * PER_DAY):
        day, hour = divmod(i // PER_HOUR, 24)
        night = hour < 5
        weekend = day % 7 >= 5
        # weekday nights are quiet; weekend nights are busier than weekend days
        level = 200.0 if not night else (400.0 if weekend else 40.0)
        values.append(float(poisson(rng, level)))
    run = replay(values)
    # Read with one profile for all days, each of the four weekend nights of the last two weeks
    # would be a burst; with its own profile a weekend night is the usual (at most one chance
    # alarm at the p_value's rate).
    assert len([i for i in run.fired if i >= 14 * PER_DAY]) <= 1
    base = run.detector.series["burst:p"].baseline
    saturday, tuesday = T0 + timedelta(days=26, hours=2), T0 + timedelta(days=22, hours=2)
    sat_b, tue_b = (int(t.timestamp()) // BUCKET for t in (saturday, tuesday))
    assert base.usual(sat_b) > 5 * base.usual(tue_b)


def test_a_one_bucket_jump_in_a_wobbly_series_fires_but_not_in_a_count_series():
    values = noisy(6 * PER_DAY, 1000.0, 0.05, seed=10)
    spike = 5 * PER_DAY + 7 * PER_HOUR
    values[spike] *= 1.8  # one 5-minute reading far outside anything this series does
    assert replay(values).fired == [spike]
    # The same +80% bucket in a product's complaint counts (30 a bucket, counting noise
    # only): the rule is the window's, and the window has not moved enough.
    rng = Random(11)
    counts = [float(poisson(rng, 30.0)) for _ in range(6 * PER_DAY)]
    counts[spike] = 54.0
    assert replay(counts).fired == []
