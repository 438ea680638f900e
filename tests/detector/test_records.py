"""Rises of series whose buckets wobble far beyond counting noise (measurements, very busy
streams) are judged against the series' own range (``detector.record``): a slow climb and a sharp
spike both fire, early, once per rise; a level shift fires once; the verdicts do not depend on
the series' unit or sampling interval; the state survives a save and restore."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from yujing.alerts import AlertState
from yujing.config import BurstRule, Detection
from yujing.detector.burst import BurstDetector
from yujing.detector.record import Record

from .test_calibration import PER_DAY, PER_HOUR, noisy

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def fired(
    values: list[float], bucket: int = 300, detector: BurstDetector | None = None, start: int = 0
) -> tuple[list[int], BurstDetector]:
    """Buckets where a wave fired, feeding ``values`` from bucket ``start`` on."""
    det = detector or BurstDetector(Detection(burst=BurstRule(bucket=bucket, window=3600)), None)
    out = []
    for i, v in enumerate(values[start:], start):
        at = T0 + timedelta(seconds=i * bucket)
        det.observe_count("p", at, round(v))
        for alert in det.evaluate(["p"], at + timedelta(seconds=bucket)):
            if alert.state is AlertState.FIRING and alert.started_at == alert.updated_at:
                out.append(i)
    return out, det


def base(days: int = 6, seed: int = 11) -> list[float]:
    return noisy(days * PER_DAY, 1000.0, 0.05, seed=seed)


def test_a_slow_climb_fires_once_early_in_the_climb():
    values = base()
    start, length = 4 * PER_DAY, 12 * PER_HOUR
    for i in range(start, len(values)):
        values[i] *= 1.0 + min(1.0, (i - start) / length)  # doubles over half a day, then stays
    hits, _ = fired(values)
    assert len(hits) == 1
    assert start < hits[0] < start + length // 3  # well before the top


def test_a_sharp_spike_fires_at_its_bucket():
    values = base()
    spike = 4 * PER_DAY + 7 * PER_HOUR
    values[spike] *= 3.0
    hits, _ = fired(values)
    assert hits == [spike]


def test_a_long_bumpy_rise_is_one_detection():
    values = base()
    start = 4 * PER_DAY
    for i in range(start, start + 8 * PER_HOUR):
        hump = 2.0 if (i - start) // PER_HOUR % 3 else 1.4  # drops back for an hour now and then
        values[i] *= hump
    hits, _ = fired(values)
    assert len(hits) == 1 and start <= hits[0] <= start + 2


def test_a_lasting_level_shift_fires_once_and_is_not_refired_later():
    values = base(days=8)
    shift = 4 * PER_DAY
    for i in range(shift, len(values)):
        values[i] *= 2.0
    hits, _ = fired(values)
    assert hits and hits[0] <= shift + 2
    assert len(hits) == 1  # four days at the new level: no second alarm


def test_an_ordinary_day_of_wobble_does_not_fire():
    hits, det = fired(base(days=7, seed=12))
    assert hits == []
    assert det.series["burst:p"].last is not None
    held = [h for h in det.series["burst:p"].last.held if h.startswith("record")]
    assert held
    # How close it came: an ordinary bucket is most of the way to its records, not beyond.
    share = float(re.search(r"x([0-9.]+)", held[0]).group(1))
    assert 0.5 < share < 1.0


def test_the_same_series_in_another_unit_gives_the_same_detections():
    values = base()
    values[4 * PER_DAY + 30] *= 3.0
    for i in range(5 * PER_DAY, len(values)):
        values[i] *= 1.6
    small, _ = fired(values)
    big, _ = fired([v * 1000 for v in values])
    assert len(small) == 2 and big == small


def test_the_same_series_sampled_half_as_often_fires_at_the_same_time():
    values = base()
    start = 4 * PER_DAY + 6 * PER_HOUR
    for i in range(start, start + 3 * PER_HOUR):
        values[i] *= 2.0
    fine, _ = fired(values)
    coarse_values = [(a + b) / 2 for a, b in zip(values[::2], values[1::2], strict=True)]
    coarse, _ = fired(coarse_values, bucket=600)
    assert len(fine) == 1 and len(coarse) == 1
    assert abs(coarse[0] * 600 - fine[0] * 300) <= 600


def test_records_survive_a_save_and_restore():
    values = base()
    values[5 * PER_DAY] *= 3.0
    whole, _ = fired(values)
    cut = 4 * PER_DAY + 5
    _, before = fired(values[:cut])
    saved = json.loads(json.dumps(before.series["burst:p"].dump()))  # as the checkpoint stores it
    restored = BurstDetector(Detection(burst=BurstRule(bucket=300, window=3600)), None)
    restored.observe_count("p", T0, 0)
    assert restored.series["burst:p"].load(saved)
    rest, _ = fired(values, detector=restored, start=cut)
    assert whole == [5 * PER_DAY] and rest == whole


def test_a_state_saved_without_records_still_loads():
    values = base()
    _, det = fired(values[: 3 * PER_DAY])
    saved = det.series["burst:p"].dump()
    del saved["record"]
    saved["memory"] = saved["memory"][:6]
    restored = BurstDetector(Detection(burst=BurstRule(bucket=300, window=3600)), None)
    restored.observe_count("p", T0, 0)
    assert restored.series["burst:p"].load(saved)
    record = restored.series["burst:p"].record
    assert record.seen < record.origin and not record.pending  # learned afresh from now on


def spiky(days: int = 6, seed: int = 13) -> list[float]:
    """An on/off job: a low idle level, and every few hours a burst of work far above it."""
    values = noisy(days * PER_DAY, 100.0, 0.2, seed=seed)
    for i in range(len(values)):
        if i % (3 * PER_HOUR) < 3:
            values[i] *= 8.0 + (i % 5)
    return values


def test_a_spiky_series_own_spikes_do_not_fire():
    hits, _ = fired(spiky())
    assert hits == []


def test_a_rise_beyond_anything_a_spiky_series_did_fires_at_once():
    values = spiky()
    start = 4 * PER_DAY + PER_HOUR
    for i in range(start, start + 2 * PER_HOUR):
        values[i] = 2500.0 * (1.0 + 0.05 * (i % 3))  # twice its highest spikes, for two hours
    hits, _ = fired(values)
    assert hits == [start]


def test_a_rise_that_comes_back_higher_within_hours_is_one_detection():
    values = base()
    start = 4 * PER_DAY
    for i in range(start, start + 2 * PER_HOUR):
        values[i] *= 2.0
    again = start + 4 * PER_HOUR  # two hours back at the usual level, then higher still
    for i in range(again, again + 2 * PER_HOUR):
        values[i] *= 2.6
    hits, _ = fired(values)
    assert hits == [start]


def test_a_rise_smaller_than_an_old_spike_fires_once_the_series_was_calm_since():
    values = base(days=8)
    spike, rise = 1 * PER_DAY + 5 * PER_HOUR, 7 * PER_DAY + 3 * PER_HOUR
    values[spike] *= 5.0
    for i in range(rise, rise + PER_HOUR):
        values[i] *= 2.0  # less than half the spike, far beyond the last two days
    hits, _ = fired(values)
    assert [h for h in hits if h >= rise] == [rise]  # at its first bucket, once


def test_a_jump_smaller_than_yesterdays_spike_is_within_the_recent_range():
    values = base(days=8)
    spike, jump = 6 * PER_DAY + 5 * PER_HOUR, 7 * PER_DAY + 3 * PER_HOUR
    values[spike] *= 5.0
    values[jump] *= 2.0
    assert jump not in fired(values)[0]
    values[spike] /= 5.0  # without yesterday's spike the same jump is a rise
    assert jump in fired(values)[0]


def daily(days: int = 14, seed: int = 17) -> list[float]:
    """Busy days (1000 from 8 am to 10 pm) and quiet nights (100), with a little wobble: two
    weeks, for the hour-of-day pattern to be learned and its residuals to narrow."""
    values = noisy(days * PER_DAY, 1.0, 0.05, seed=seed)
    return [v * (1000.0 if 8 <= (i // PER_HOUR) % 24 < 22 else 100.0) for i, v in enumerate(values)]


def test_a_series_own_daily_rhythm_does_not_fire_once_it_has_seen_a_day():
    assert [h for h in fired(daily())[0] if h >= PER_DAY] == []


def test_a_night_rush_below_the_days_peaks_fires_as_unusual_for_its_hour():
    values = daily()
    rush = 13 * PER_DAY + 2 * PER_HOUR  # 2 am: six times a night, still below a day's level
    for i in range(rush, rush + 2 * PER_HOUR):
        values[i] *= 6.0
    hits = [h for h in fired(values)[0] if h >= PER_DAY]
    assert len(hits) == 1 and rush <= hits[0] < rush + PER_HOUR  # within its first hour


def repeated_spikes() -> tuple[list[float], list[int]]:
    """The same jump from calm, every 13 hours, each a little higher than the last."""
    values = base(days=7)
    spikes = list(range(2 * PER_DAY, len(values), 13 * PER_HOUR))
    for n, i in enumerate(spikes):
        values[i - 1], values[i] = 1000.0, 3000.0 * 1.03**n
    return values, spikes


def test_a_spike_shape_shown_again_and_again_stops_firing():
    # Each spike breaks the record, but once the series has shown that shape lately it is not news.
    values, spikes = repeated_spikes()
    hits, _ = fired(values)
    assert hits[0] == spikes[0]
    assert set(hits) <= set(spikes[:-3])  # by then, the shape is familiar
    assert len(hits) <= len(spikes) // 2
    # Asked why the last one did not fire, the series says so.
    _, det = fired(values[: spikes[-1] + 1])
    assert any("shape seen lately" in h for h in det.series["burst:p"].last.held)


def test_the_shapes_a_series_has_shown_survive_a_save_and_restore():
    values, spikes = repeated_spikes()
    whole, _ = fired(values)
    cut = spikes[3] - 20
    _, before = fired(values[:cut])
    saved = json.loads(json.dumps(before.series["burst:p"].dump()))
    restored = BurstDetector(Detection(burst=BurstRule(bucket=300, window=3600)), None)
    restored.observe_count("p", T0, 0)
    assert restored.series["burst:p"].load(saved)
    rest, _ = fired(values, detector=restored, start=cut)
    assert rest == [h for h in whole if h >= cut]


def test_a_spike_shape_seen_lately_is_not_news_after_a_calm_spell_either():
    # A steady wobble (the same spread all along) and the same jump from calm every two and a
    # half days, two buckets apart each time: after a week each pair leaves a calm spell longer
    # than the recent range, and still it is the series' own habit.
    values = [100000.0 + (3000.0 if i % 2 else -3000.0) for i in range(10 * PER_DAY)]
    starts = [int(d * PER_DAY) + 5 * PER_HOUR for d in (1.5, 4.0, 6.5, 9.0)]
    for i in starts:
        values[i] = values[i + 2] = 300000.0
    hits, _ = fired(values)
    assert starts[-1] not in hits and starts[-1] + 2 not in hits
    # A jump of a shape never seen, after the same calm, is a rise.
    values[starts[-1]] = 900000.0
    assert starts[-1] in fired(values)[0]


def test_a_window_mean_beyond_its_own_highest_is_not_a_rise_by_itself():
    # Between a bucket's spike and the slow mean's climb, the window's mean saw only what one of
    # them saw already: it is the slow mean's yardstick of wobble, not a record of its own.
    def record_of_a_calm_day(last: float) -> tuple[Record, int]:
        rec = Record(bucket=300, memory=7 * 86400, window=12, origin=0)
        for b in range(PER_DAY + 1):
            rec.observe(b, 1000.0 + (30.0 if b % 2 else -30.0), 1000.0)
            rec.learn_until(b, b - 12)
        rec.observe(PER_DAY + 1, last, 1000.0)
        return rec, PER_DAY + 1

    rec, b = record_of_a_calm_day(1000.0)
    bucket, window, slow = rec.pending[b]
    rec.pending[b] = (bucket, 10.0 * window, slow)  # only the window's mean is beyond all else
    assert rec.beyond(b)[0] is False
    rec, b = record_of_a_calm_day(10000.0)  # the same jump in the bucket is a rise
    assert rec.beyond(b)[0] is True
