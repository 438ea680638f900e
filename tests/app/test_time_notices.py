"""Never silent about time: times read in the wrong zone, and waves learned as history, are said
once in the log and shown by ``yujing status``."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from yujing.app.pipeline import Pipeline
from yujing.app.status import print_status
from yujing.app.zones import misread_offset, zone_at
from yujing.config import load_config
from yujing.records import Post, post_id
from yujing.store import LateWave, Store

NOW = datetime.now(UTC).replace(microsecond=0)


def _config(tmp_path: Path, zone: str | None = None) -> Path:
    path = tmp_path / "yujing.yaml"
    own = f", timezone: {zone}" if zone else ""
    path.write_text(
        f"storage: {{path: {tmp_path / 'y.db'}}}\n"
        "alerts_file: null\n"
        "sources:\n"
        f"  - {{name: hotline, type: transcripts, path: {tmp_path / 'inbox'}{own}}}\n"
        "products:\n"
        "  - {id: anxin-e, name: 安心e生医疗险}\n",
        encoding="utf-8",
    )
    return path


def _calls(shift: timedelta, start: int, n: int) -> list[Post]:
    """``n`` calls, exported every hour and fetched minutes after, their times off by ``shift``."""
    posts = []
    for i in range(start, start + n):
        fetched = NOW - timedelta(hours=n - i) + timedelta(minutes=2)
        published = fetched - timedelta(minutes=(7 * i) % 55) - shift
        url = f"file://hotline/{i}"
        posts.append(
            Post("hotline", url, post_id("hotline", url), None, "", f"来电{i}", published, fetched)
        )
    return posts


def _status(config: Path) -> str:
    out = io.StringIO()
    print_status(load_config(config), Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_times_of_another_zone_are_said_once_with_the_zone_that_fits(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(tmp_path)
    pipe = Pipeline(load_config(config), Store(tmp_path / "y.db"))
    with caplog.at_level(logging.WARNING, logger="yujing.sources"):
        for post in _calls(timedelta(hours=8), 0, 40):  # UTC times read as Asia/Shanghai
            pipe.accept(post)
    pipe.store.close()
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1, said
    assert (
        said[0].startswith("hotline: ")
        and "posts dated about 8 h before they were fetched" in said[0]
    )
    assert "read in Asia/Shanghai" in said[0] and "set the source's `timezone: UTC`" in said[0]
    # Status shows it with the count as it stands.
    assert said[0].replace("20 posts", "40 posts") in _status(config)

    # Once the source reads its times in UTC, they fit again and status stops saying it.
    fixed = _config(tmp_path, "UTC")
    pipe = Pipeline(load_config(fixed), Store(tmp_path / "y.db"))
    for post in _calls(timedelta(0), 100, 40):
        pipe.accept(post)
    assert pipe.store.time_notices.zones() == []
    pipe.store.close()
    assert "dated about" not in _status(fixed)


def test_local_times_read_as_utc_are_said_with_the_configs_zone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pipe = Pipeline(load_config(_config(tmp_path, "UTC")), Store(tmp_path / "y.db"))
    with caplog.at_level(logging.WARNING, logger="yujing.sources"):
        for post in _calls(-timedelta(hours=8), 0, 30):  # Shanghai times read as UTC
            pipe.accept(post)
    pipe.store.close()
    [said] = [r.getMessage() for r in caplog.records]
    assert "posts dated about 8 h after they were fetched" in said
    assert "read in UTC" in said and "set the source's `timezone: Asia/Shanghai`" in said


def test_a_site_that_shows_only_the_day_is_no_zone(tmp_path: Path) -> None:
    pipe = Pipeline(load_config(_config(tmp_path)), Store(tmp_path / "y.db"))
    midnight = datetime(2026, 11, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    for i in range(40):  # every post read as 00:00 local, fetched 8 h into the day
        fetched = midnight + timedelta(hours=8, minutes=i)
        url = f"https://bbs.example.cn/t/{i}"
        pipe.accept(
            Post("hotline", url, post_id("hotline", url), None, "", f"帖子{i}", midnight, fetched)
        )
    assert pipe.store.time_notices.zones() == []
    pipe.store.close()


def test_only_a_whole_shift_of_every_post_is_a_zone() -> None:
    on_time = [60.0 * (i % 30) for i in range(100)]
    assert misread_offset(on_time) is None
    assert misread_offset([8 * 3600 + lag for lag in on_time]) == 8 * 3600
    assert misread_offset([-8 * 3600 + lag for lag in on_time]) == -8 * 3600
    assert misread_offset([5.5 * 3600 + lag for lag in on_time]) == 5.5 * 3600
    # A day's calls exported the next morning: late, spread over the day, not a zone.
    assert misread_offset([9 * 3600 + 864.0 * i for i in range(100)]) is None
    # A month of history ingested at once: older than any zone.
    assert misread_offset([86400.0 * (1 + i % 30) for i in range(100)]) is None
    # Half an hour is a slow export, not a zone; too few posts say nothing.
    assert misread_offset([1800 + lag for lag in on_time]) is None
    assert misread_offset([8 * 3600 + lag for lag in on_time[:10]]) is None


def test_status_shows_a_wave_learned_as_history(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = Store(tmp_path / "y.db")
    first = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    with store.transaction():
        store.time_notices.add_late(
            LateWave("burst:anxin-e", "anxin-e", first, first + timedelta(hours=1), 45, NOW)
        )
    store.close()
    assert (
        "anxin-e: 45 complaints from 11-30 08:00-09:00 arrived after their window and were "
        "learned as history, not alerted" in _status(config)
    )


def test_the_zone_that_fits_is_named_as_the_config_takes_it() -> None:
    assert zone_at(0) == "UTC"
    assert zone_at(8 * 3600) == "Etc/GMT-8"  # tzdata's fixed zones count westwards
    assert zone_at(-5 * 3600) == "Etc/GMT+5"
    assert ZoneInfo(zone_at(5.5 * 3600)).utcoffset(NOW) == timedelta(hours=5, minutes=30)
    assert zone_at(3.25 * 3600) is None
