"""Times read in the wrong zone, said once instead of silently shifting every post.

An export or a site that writes its times without a zone has them read in the source's
``timezone`` (the config's by default). When they are in another zone (an export writing UTC), every
post sits the same whole number of half-hours before (or after) its fetch: a wave arrives "hours
late" and is learned as history, or counts at its fetch time. No honest source looks like that:
its freshest posts come minutes after they were written. So, per source, over its recent new
posts: when none is fresher than a whole number of half-hours (one hour or more) and a good share
sit just past it, the log says so once, with the zone that would fit, and ``yujing status``
shows it (``store.time_notices``) until the times fit again. Posts without a time of their own
(dated when fetched, or at midnight sharp: a site that shows only the day) are left out.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from yujing.config import Config
from yujing.records import Post, utcnow
from yujing.store import Store, ZoneNotice

__all__ = ["ZoneWatch", "misread_offset", "zone_at"]

log = logging.getLogger("yujing.sources")

HALF_HOUR = 1800.0
SAMPLE = 200  # recent new posts per source looked at
MIN_POSTS = 20  # fewer say nothing either way
SKEW = 5 * 60.0  # clocks disagree by minutes
FRESH = 20 * 60.0  # how soon after its offset a fresh post is fetched
MAX_OFFSET = 14 * 3600.0  # no two zones are further apart than this (bar the date line)


def misread_offset(lags: Sequence[float]) -> float | None:
    """The whole number of half-hours (one hour or more, either way) by which posts fetched
    ``lags`` seconds after their stated time are all shifted, or None when they are not.

    The freshest posts of a source come minutes after they were written; if none comes sooner
    than a whole number of half-hours, and at least a tenth of them (5 or more) come within
    ``FRESH`` after it, their times are most likely read in the wrong zone.
    """
    if len(lags) < MIN_POSTS:
        return None
    earliest = min(lags)
    offset = math.floor((earliest + SKEW) / HALF_HOUR) * HALF_HOUR
    if abs(offset) < 2 * HALF_HOUR or abs(offset) > MAX_OFFSET:
        return None
    fresh = sum(offset - SKEW <= lag <= offset + FRESH for lag in lags)
    return offset if fresh >= max(5, len(lags) / 10) else None


def _shifted(lag: float, offset: float) -> bool:
    """Whether a post fetched ``lag`` after its stated time is as shifted as ``offset`` says."""
    return lag >= offset - SKEW if offset > 0 else lag < -SKEW


def _hours(seconds: float) -> str:
    return f"{abs(seconds) / 3600:g} h"


def _utc(seconds: float) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(round(abs(seconds)) // 60, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_at(seconds: float) -> str | None:
    """A zone name for a fixed offset east of UTC, to paste into the config: ``UTC``, whole hours
    as ``Etc/GMT-8`` (tzdata's names count the other way), else a city zone at that offset."""
    if seconds == 0:
        return "UTC"
    if seconds % 3600 == 0:
        return f"Etc/GMT{-round(seconds / 3600):+d}"
    now = utcnow()
    cities = (
        n
        for n in sorted(available_timezones())
        if "/" in n and not n.startswith(("Etc/", "SystemV/"))
    )
    return next((n for n in cities if _offset(now, n) == seconds), None)


def _offset(now: datetime, zone: str) -> float:
    return (now.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)).total_seconds()


class ZoneWatch:
    """Per source, the lags of its recent new posts; ``seen`` after each committed batch."""

    def __init__(self, config: Config, store: Store):
        self.store = store
        self.default = config.timezone
        self.zones = {s.name: s.timezone or config.timezone for s in config.sources}
        self.lags: dict[str, deque[float]] = {}

    def seen(self, batch: Sequence[Post], answers: Sequence[bool]) -> None:
        """Take the posts of a committed batch that were new (``answers``) into account."""
        fresh: dict[str, list[float]] = {}
        for post, new in zip(batch, answers, strict=True):
            if not new or "published_fallback" in post.extras or self._date_only(post):
                continue  # no time of its own to judge
            lag = (post.fetched_at - post.published_at).total_seconds()
            self.lags.setdefault(post.source, deque(maxlen=SAMPLE)).append(lag)
            fresh.setdefault(post.source, []).append(lag)
        for source in sorted(fresh):
            self._judge(source, fresh[source])

    def _date_only(self, post: Post) -> bool:
        """A post dated at midnight sharp, as a site that shows only the day is read: its lag
        says how late in the day it was fetched, nothing about zones."""
        zone = ZoneInfo(self.zones.get(post.source, self.default))
        local = post.published_at.astimezone(zone)
        return (local.hour, local.minute, local.second) == (0, 0, 0)

    def _judge(self, source: str, batch: list[float]) -> None:
        lags = self.lags[source]
        offset = misread_offset(lags)
        told = self.store.time_notices.zone(source)
        if offset is None:
            if told is not None and len(lags) >= MIN_POSTS:
                with self.store.transaction():
                    self.store.time_notices.clear_zone(source)
                log.info("%s: post times fit their fetch times again", source)
            return
        if told is not None and told.offset == offset:
            # The same shift still: the count grows by the batch's posts that have it.
            posts = told.posts + sum(_shifted(lag, offset) for lag in batch)
        else:
            posts = sum(_shifted(lag, offset) for lag in lags)
        message = self._message(source, offset, posts)
        with self.store.transaction():
            self.store.time_notices.set_zone(ZoneNotice(source, offset, posts, message, utcnow()))
        if told is None or told.offset != offset:
            log.warning("%s", message)

    def _message(self, source: str, offset: float, posts: int) -> str:
        zone = self.zones.get(source, self.default)
        now = utcnow()
        fits = _offset(now, zone) - offset
        # The config's own zone when it fits (a source set to UTC that writes local times).
        name = self.default if fits and _offset(now, self.default) == fits else zone_at(fits)
        written = "UTC" if name == "UTC" else _utc(fits)
        where = "before" if offset > 0 else "after"
        return (
            f"{source}: {posts} posts dated about {_hours(offset)} {where} they were fetched; "
            f"times without a zone are read in {zone} — if the source writes {written} times, "
            + (f"set the source's `timezone: {name}`" if name else "set the source's `timezone`")
        )
