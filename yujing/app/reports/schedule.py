"""When a scheduled report is due, and which day it covers (pure: the clock is passed in)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from yujing.config import WEEKDAYS, ReportSchedule

__all__ = ["latest_slot", "covers"]


def latest_slot(schedule: ReportSchedule, now: datetime, tz: tzinfo) -> datetime:
    """The latest local time at or before ``now`` the schedule fires at."""
    local = now.astimezone(tz)
    hour, minute = (int(part) for part in schedule.at.split(":"))
    day = local.date()
    while True:
        slot = datetime.combine(day, time(hour, minute), tz)
        weekday_ok = schedule.kind == "daily" or WEEKDAYS[day.weekday()] == schedule.weekday
        if weekday_ok and slot <= local:
            return slot
        day -= timedelta(days=1)


def covers(slot: datetime) -> date:
    """The (last) day the report written at ``slot`` covers: the day before."""
    return slot.date() - timedelta(days=1)
