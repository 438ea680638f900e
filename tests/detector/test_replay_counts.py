"""``replay --counts`` reading real-world exports: fractional measurements, regular series with
missing rows or repeated timestamps, and sparse count exports that leave zeros out."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from random import Random

import pytest

from yujing.config.loader import load_config
from yujing.detector.replay import measurement_scale, regular, replay_counts

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 1, 1)
STEP = timedelta(minutes=5)


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "config" / "yujing.yaml")


def fired(config, path: Path) -> list[str]:
    events: list[dict] = []
    replay_counts(config, path, events.append)
    return [e["fired_at"] for e in events if e["event"] == "firing"]


def write(path: Path, rows: list[tuple[datetime, float | str]]) -> Path:
    lines = ["timestamp,value"] + [f"{t:%Y-%m-%d %H:%M:%S},{v}" for t, v in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cpu(days: int = 6, seed: int = 1) -> list[tuple[datetime, float]]:
    """A CPU-like reading every 5 minutes: about 0.13 with some noise, never a whole number."""
    rng = Random(seed)
    return [
        (T0 + i * STEP, round(0.13 * (1 + 0.05 * rng.gauss(0, 1)), 4)) for i in range(days * 288)
    ]


def test_measurement_scale_keeps_counts_and_gives_measurements_digits():
    assert measurement_scale([0, 3, 12, 7]) == 1
    assert measurement_scale([0.13, 0.12, 0.2]) == 10_000  # 0.13 -> 1300
    assert measurement_scale([45.2, 50.1]) == 100  # 45.2 -> 4520
    assert measurement_scale([0.0, 0.0]) == 1


def test_regular_series_are_told_from_sparse_count_exports():
    t = [i * 300.0 for i in range(10)]
    assert regular(t, [5.0] * 10, 300.0)  # a row for every bucket
    assert regular([0, 300, 1200, 1500], [0.0, 3.0, 4.0, 1.0], 300.0)  # writes zeros
    sparse = [0, 3000, 3300, 9000, 20000]  # a quiet product: rows only where it counted
    assert not regular(sparse, [1.0, 2.0, 1.0, 1.0, 3.0], 300.0)


def test_a_fractional_series_is_replayed_not_rounded_away(config, tmp_path):
    rows = cpu()
    spike = 5 * 288 + 100
    rows[spike] = (rows[spike][0], 0.6)  # one reading at 0.6: rounds to 1, as 0.13 rounds to 0
    at = fired(config, write(tmp_path / "cpu.csv", rows))
    assert at == [f"{rows[spike][0]:%Y-%m-%d %H:%M:%S}"]
    # the same readings in whole units a million times larger: the same verdicts
    big = [(t, str(round(v * 1_000_000))) for t, v in rows]
    assert fired(config, write(tmp_path / "cpu_big.csv", big)) == at


def test_a_repeated_timestamp_is_one_reading_not_two(config, tmp_path):
    rows: list[tuple[datetime, float | str]] = list(cpu())
    t, v = rows[5 * 288]
    rows.insert(5 * 288, (t, v))  # the clock went back: the same bucket read twice
    assert fired(config, write(tmp_path / "cpu.csv", rows)) == []


def test_missing_rows_of_a_regular_series_are_a_gap_not_zeros(config, tmp_path):
    rows = [r for i, r in enumerate(cpu()) if not 4 * 288 <= i < 4 * 288 + 72]  # 6 h outage
    assert fired(config, write(tmp_path / "cpu.csv", rows)) == []


def test_a_sparse_count_export_reads_missing_rows_as_zeros(config, tmp_path):
    rng = Random(2)
    rows = [(T0 + i * STEP, 1) for i in range(6 * 288) if rng.random() < 2 / 288]
    wave = T0 + (5 * 288 + 30) * STEP
    rows += [(wave + k * STEP, 1) for k in range(7)]  # 7 complaints in 35 minutes
    rows.sort()
    assert fired(config, write(tmp_path / "quiet.csv", rows))


def test_times_without_a_zone_are_in_the_configs_time_zone(config, tmp_path):
    """Naive timestamps are the config's local time (Asia/Shanghai here): the same readings
    written with +08:00 fire at the same instant, and fired_at is written as the input wrote it."""
    assert config.timezone == "Asia/Shanghai"
    rows = cpu()
    spike = 5 * 288 + 100
    rows[spike] = (rows[spike][0], 0.6)
    events: list[dict] = []
    replay_counts(config, write(tmp_path / "cpu.csv", rows), events.append)
    firing = [e for e in events if e["event"] == "firing"]
    assert [e["fired_at"] for e in firing] == [f"{rows[spike][0]:%Y-%m-%d %H:%M:%S}"]
    # started_at is UTC: eight hours before the local time of the bucket's end
    local_end = rows[spike][0] + STEP
    assert firing[0]["started_at"] == f"{local_end - timedelta(hours=8):%Y-%m-%dT%H:%M:%S}+00:00"
    zoned = tmp_path / "cpu_zoned.csv"
    zoned.write_text(
        "timestamp,value\n" + "".join(f"{t:%Y-%m-%dT%H:%M:%S}+08:00,{v}\n" for t, v in rows),
        encoding="utf-8",
    )
    again: list[dict] = []
    replay_counts(config, zoned, again.append)
    assert [e["started_at"] for e in again if e["event"] == "firing"] == [firing[0]["started_at"]]


def test_a_smooth_measurement_climbing_a_few_percent_beyond_its_range_fires(config, tmp_path):
    """A temperature: its wobble is far below the counting noise of its scaled values, yet a
    climb beyond anything it did is a rise; a fractional series is a measurement, judged so."""
    rng = Random(3)
    day = 288
    rows = []
    for i in range(6 * day):
        daily = 0.5 * math.sin(2 * math.pi * i / day)
        climb = 0.05 * max(0, i - 5 * day)  # from day 5: +0.6 degrees an hour
        rows.append((T0 + i * STEP, round(70.0 + daily + climb + 0.05 * rng.gauss(0, 1), 2)))
    hits = fired(config, write(tmp_path / "temperature.csv", rows))
    assert len(hits) == 1
    at = datetime.fromisoformat(hits[0])
    # within five hours of its start: three degrees up, where its day swings by one
    assert T0 + 5 * day * STEP < at < T0 + (5 * day + 60) * STEP


def test_an_irregular_reading_is_judged_on_the_buckets_it_has(config, tmp_path):
    """A sensor that reports for half an hour, then is silent for over an hour: its window is
    mostly gaps, but each reading is still judged against its records."""
    rng = Random(5)
    rows = []
    shift = 5 * 288
    for block in range(0, 6 * 288, 20):  # six readings every 100 minutes
        for i in range(block, block + 6):
            level = 200.0 if i < shift else 900.0
            rows.append((T0 + i * STEP, round(level * (1 + 0.1 * rng.gauss(0, 1)), 1)))
    first = next(i for i in range(0, 6 * 288, 20) if i >= shift)  # the first block at 900
    hits = [datetime.fromisoformat(h) for h in fired(config, write(tmp_path / "travel.csv", rows))]
    # the new level fires at its first reading, and once (whatever noise did before it)
    assert hits and hits[-1] == T0 + first * STEP
