from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from yujing.crawlers.counts import parse_count
from yujing.crawlers.timeparse import parse_published

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-25 12:00 in Shanghai: relative and year-less forms are read against this.
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # ISO, with and without a zone (no zone: site-local, here UTC+8)
        ("2026-11-20T14:05:00+08:00", utc(2026, 11, 20, 6, 5)),
        ("2026-11-20T06:05:00Z", utc(2026, 11, 20, 6, 5)),
        ("2026-11-20 14:05", utc(2026, 11, 20, 6, 5)),
        ("2026-11-20 14:05:33", utc(2026, 11, 20, 6, 5, 33)),
        ("2026/11/20 14:05", utc(2026, 11, 20, 6, 5)),
        ("2026.11.20", utc(2026, 11, 19, 16, 0)),
        ("2026-11-20 14:05 +0000", utc(2026, 11, 20, 14, 5)),
        # Chinese dates, and the label forums put in front
        ("2026年11月20日 14:05", utc(2026, 11, 20, 6, 5)),
        ("2026年11月20日14:05", utc(2026, 11, 20, 6, 5)),
        ("发表于 2026-11-20 14:05", utc(2026, 11, 20, 6, 5)),
        ("作者：赵先生　时间：2026-11-21 10:20　浏览：1,203", utc(2026, 11, 21, 2, 20)),
        # full-width digits and colon
        ("１１－２０　１４：０５", utc(2026, 11, 20, 6, 5)),
        # year-less: this year, or last year when the date has not come yet
        ("11-20 14:05", utc(2026, 11, 20, 6, 5)),
        ("11月20日 14:05", utc(2026, 11, 20, 6, 5)),
        ("12-30 08:00", utc(2025, 12, 30, 0, 0)),
        # relative to now
        ("刚刚", NOW),
        ("30秒前", NOW - timedelta(seconds=30)),
        ("3分钟前", NOW - timedelta(minutes=3)),
        ("半小时前", NOW - timedelta(minutes=30)),
        ("2小时前", NOW - timedelta(hours=2)),
        ("2个小时前", NOW - timedelta(hours=2)),
        ("5天前", NOW - timedelta(days=5)),
        ("今天 08:30", utc(2026, 11, 25, 0, 30)),
        ("昨天 10:00", utc(2026, 11, 24, 2, 0)),
        ("昨天10:00", utc(2026, 11, 24, 2, 0)),
        ("前天 23:59", utc(2026, 11, 23, 15, 59)),
        ("09:15", utc(2026, 11, 25, 1, 15)),
        # RSS / RFC 822
        ("Fri, 20 Nov 2026 14:05:00 +0800", utc(2026, 11, 20, 6, 5)),
        ("Thu, 19 Nov 2026 02:00:00 GMT", utc(2026, 11, 19, 2, 0)),
        ("Thu, 19 Nov 2026 02:00:00 -0000", utc(2026, 11, 19, 2, 0)),
        ("19 Nov 2026 02:00:00 +0000", utc(2026, 11, 19, 2, 0)),
        # Unix time, as some sites put in data- attributes
        ("1763620000", utc(2025, 11, 20, 6, 26, 40)),
        ("1795154700000", utc(2026, 11, 20, 6, 5)),
        # already datetimes
        (datetime(2026, 11, 20, 14, 5), utc(2026, 11, 20, 6, 5)),
        (datetime(2026, 11, 20, 14, 5, tzinfo=SHANGHAI), utc(2026, 11, 20, 6, 5)),
    ],
)
def test_parse_published_reads_common_forms(raw: str | datetime, expected: datetime) -> None:
    found = parse_published(raw, NOW, SHANGHAI)
    assert found == expected
    assert found is not None and found.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "未知", "楼主", "2026-13-45 10:00", "02-30 10:00", "2099-01-01 00:00"],
)
def test_parse_published_gives_none_when_it_cannot_tell(raw: str | None) -> None:
    # "2099-..." parses, but a post from the far future is a misread we refuse to store.
    assert parse_published(raw, NOW, SHANGHAI) is None


def test_parse_published_uses_the_given_zone_for_zoneless_times() -> None:
    assert parse_published("2026-11-20 14:05", NOW, "UTC") == utc(2026, 11, 20, 14, 5)
    assert parse_published("2026-11-20 14:05", NOW, "Asia/Tokyo") == utc(2026, 11, 20, 5, 5)
    # "yesterday" is the site's yesterday: at 01:00 in Shanghai it is still the 24th in UTC.
    early = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 2026-11-25 01:00 in Shanghai
    assert parse_published("昨天 23:00", early, SHANGHAI) == utc(2026, 11, 24, 15, 0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("阅读 1.2万", 12_000),
        ("评论(35)", 35),
        ("评论（12）", 12),
        ("阅读 2,048", 2_048),
        ("3.4k", 3_400),
        ("1.2W", 12_000),
        ("1.5亿", 150_000_000),
        ("０", 0),
        ("暂无评论", None),
        ("", None),
        (None, None),
        (17, 17),
    ],
)
def test_parse_count(raw: str | int | None, expected: int | None) -> None:
    assert parse_count(raw) == expected
