"""Publication times as Chinese forums and feeds print them, turned into UTC.

Sites mix ISO stamps, "2026年11月20日 14:05", "11-20 14:05" (this year), "3分钟前", "昨天 10:00"
and RFC 822 feed dates. A time without a zone is local to the site, given as ``tz``. Anything we
cannot read returns None so the caller can fall back to the fetch time and say so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

__all__ = ["parse_published"]

# A post stamped more than this far ahead of now is a misread, not a post from the future; letting
# it through would keep it inside every detection window until that date.
_MAX_AHEAD = timedelta(days=1)

_TIME = r"(?:\s*T?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
_ZONE = r"\s*(Z|[+-]\d{2}:?\d{2})?"
_YMD = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_FULL_DATE = re.compile(_YMD + _TIME + _ZONE)
_MONTH_DAY = re.compile(r"(?<![\d.])(\d{1,2})\s*[-/月]\s*(\d{1,2})(?!\d)\s*日?" + _TIME)
_DAY_WORD = re.compile(r"(今天|昨天|前天)" + _TIME)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_AGO = re.compile(r"(\d+|半)\s*(秒钟?|分钟?|个?小时|天|日|周|星期)\s*前")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")

_AGO_UNIT = {
    "秒": "seconds",
    "秒钟": "seconds",
    "分": "minutes",
    "分钟": "minutes",
    "小时": "hours",
    "个小时": "hours",
    "天": "days",
    "日": "days",
    "周": "weeks",
    "星期": "weeks",
}
_DAYS_BACK = {"今天": 0, "昨天": 1, "前天": 2}


def parse_published(
    raw: str | datetime | None, now: datetime, tz: tzinfo | str = "Asia/Shanghai"
) -> datetime | None:
    """``raw`` as an aware UTC datetime, or None when it cannot be read.

    ``now`` anchors relative forms ("3分钟前", "昨天", a year-less "11-20"); ``tz`` is the zone of
    times that carry none.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    if raw is None:
        return None
    if isinstance(raw, datetime):
        found: datetime | None = raw
    else:
        # NFKC folds full-width digits and colons ("１４：０５") that Chinese pages often use.
        text = unicodedata.normalize("NFKC", raw).strip()
        if not text:
            return None
        found = _parse_text(text, now.astimezone(zone))
    if found is None:
        return None
    if found.tzinfo is None:
        found = found.replace(tzinfo=zone)
    found = found.astimezone(UTC)
    return None if found - now > _MAX_AHEAD else found


def _parse_text(text: str, local_now: datetime) -> datetime | None:
    for parser in _PARSERS:
        try:
            found = parser(text, local_now)
        except (ValueError, OverflowError):  # e.g. "2026-02-30": matched the shape, not a date
            found = None
        if found is not None:
            return found
    return None


def _iso(text: str, _now: datetime) -> datetime | None:
    return datetime.fromisoformat(text) if text[:4].isdigit() else None


def _rfc822(text: str, _now: datetime) -> datetime | None:
    if not re.match(r"^[A-Za-z]{3},|^\d{1,2} [A-Za-z]{3} \d{4}", text):
        return None
    found = parsedate_to_datetime(text)
    # RFC 5322 "-0000" means UTC with no local zone known; parsedate gives it back naive.
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _epoch(text: str, _now: datetime) -> datetime | None:
    if not _EPOCH.match(text):
        return None
    seconds = int(text) / (1000 if len(text) == 13 else 1)
    return datetime.fromtimestamp(seconds, UTC)


def _full_date(text: str, _now: datetime) -> datetime | None:
    m = _FULL_DATE.search(text)
    if not m:
        return None
    year, month, day, hour, minute, second, zone = m.groups()
    found = datetime(int(year), int(month), int(day), *_hms(hour, minute, second))
    if zone:
        found = found.replace(tzinfo=datetime.strptime(zone.replace(":", ""), "%z").tzinfo)
    return found


def _ago(text: str, now: datetime) -> datetime | None:
    if text.startswith(("刚刚", "刚才")):
        return now
    m = _AGO.search(text)
    if not m:
        return None
    amount = 0.5 if m.group(1) == "半" else float(m.group(1))
    return now - timedelta(**{_AGO_UNIT[m.group(2)]: amount})


def _day_word(text: str, now: datetime) -> datetime | None:
    m = _DAY_WORD.search(text)
    if not m:
        return None
    day = now.date() - timedelta(days=_DAYS_BACK[m.group(1)])
    return datetime(day.year, day.month, day.day, *_hms(*m.groups()[1:]), tzinfo=now.tzinfo)


def _month_day(text: str, now: datetime) -> datetime | None:
    m = _MONTH_DAY.search(text)
    if not m:
        return None
    month, day = int(m.group(1)), int(m.group(2))
    found = datetime(now.year, month, day, *_hms(*m.groups()[2:]), tzinfo=now.tzinfo)
    # Sites drop the year for recent posts, so a date that has not come yet is from last year.
    if found - now > _MAX_AHEAD:
        found = found.replace(year=now.year - 1)
    return found


def _clock(text: str, now: datetime) -> datetime | None:
    m = _CLOCK.match(text)
    if not m:
        return None
    return now.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=int(m.group(3) or 0))


def _hms(hour: str | None, minute: str | None, second: str | None) -> tuple[int, int, int]:
    return int(hour or 0), int(minute or 0), int(second or 0)


# Most specific first: a full date must win over the month-day inside it.
_PARSERS: tuple[Callable[[str, datetime], datetime | None], ...] = (
    _iso,
    _rfc822,
    _epoch,
    _full_date,
    _ago,
    _day_word,
    _month_day,
    _clock,
)
