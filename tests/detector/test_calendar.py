"""The detector's calendar is the users' own: hours and weekends in the config's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from yujing.detector.baseline import SeasonalBaseline
from yujing.detector.burst import utc_offset

BUCKET = 600.0


def slots(base: SeasonalBaseline, at: datetime) -> tuple[int, int]:
    return base._slots(int(at.timestamp() // BUCKET))


def test_zone_offsets_are_standard_time():
    assert utc_offset(ZoneInfo("Asia/Shanghai")) == 8 * 3600
    assert utc_offset(ZoneInfo("UTC")) == 0
    assert utc_offset(ZoneInfo("America/New_York")) == -5 * 3600  # not the summer's -4


def test_saturday_in_shanghai_starts_on_friday_afternoon_utc():
    base = SeasonalBaseline(BUCKET, 7 * 86400, 0, offset=utc_offset(ZoneInfo("Asia/Shanghai")))
    # 2026-11-27 is a Friday; 16:30 UTC is 00:30 on Saturday in Shanghai
    assert slots(base, datetime(2026, 11, 27, 16, 30, tzinfo=UTC)) == (0, 5)
    assert slots(base, datetime(2026, 11, 27, 15, 30, tzinfo=UTC)) == (23, 4)
    utc = SeasonalBaseline(BUCKET, 7 * 86400, 0)
    assert slots(utc, datetime(2026, 11, 27, 16, 30, tzinfo=UTC)) == (16, 4)


def test_a_saved_baseline_keeps_the_clock_it_learned_on():
    old = SeasonalBaseline(BUCKET, 7 * 86400, 0)
    for b in range(1000, 1300):
        old.fold(b, 3.0 if (b // 6) % 24 < 8 else 0.0)  # busy in the first hours of UTC days
    saved = old.dump()
    del saved["offset"]  # saved before baselines read the config's zone
    restored = SeasonalBaseline(BUCKET, 7 * 86400, 0, offset=8 * 3600)
    restored.load(saved)
    assert restored.offset == 0.0
    same_clock = SeasonalBaseline(BUCKET, 7 * 86400, 0)
    same_clock.load(saved)
    assert [restored.usual(b) for b in range(1300, 1450)] == [
        same_clock.usual(b) for b in range(1300, 1450)
    ]
    zoned = SeasonalBaseline(BUCKET, 7 * 86400, 0, offset=8 * 3600)
    zoned.load(SeasonalBaseline(BUCKET, 7 * 86400, 0, offset=8 * 3600).dump())
    assert zoned.offset == 8 * 3600
