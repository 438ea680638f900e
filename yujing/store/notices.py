"""What ``yujing status`` must say about time, kept where the daemon found it.

* A source whose posts all sit a whole number of half-hours before (or after) their fetch: its
  times without a zone are most likely read in the wrong zone (``zone``; one row per source,
  gone once its times fit again).
* A wave whose posts arrived after their window had passed, learned as history instead of
  alerted (``late``; one row per series and first bucket, so a wave that comes in two exports
  is one row).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from yujing.records import format_time, parse_time

__all__ = ["LateWave", "TimeNotices", "ZoneNotice"]


@dataclass(frozen=True, slots=True)
class ZoneNotice:
    source: str
    offset: float  # seconds the posts are dated before their fetch (negative: after)
    posts: int
    message: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class LateWave:
    series: str
    product: str
    first_at: datetime  # the first and last post's time of the wave
    last_at: datetime
    posts: int
    learned_at: datetime


class TimeNotices:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def zone(self, source: str) -> ZoneNotice | None:
        row = self._db.execute(
            "SELECT source, offset_s, posts, message, seen_at FROM zone_notices WHERE source=?",
            (source,),
        ).fetchone()
        return _zone(row) if row else None

    def zones(self) -> list[ZoneNotice]:
        rows = self._db.execute(
            "SELECT source, offset_s, posts, message, seen_at FROM zone_notices ORDER BY source"
        ).fetchall()
        return [_zone(r) for r in rows]

    def set_zone(self, notice: ZoneNotice) -> None:
        self._db.execute(
            "INSERT INTO zone_notices(source, offset_s, posts, message, seen_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT(source) DO UPDATE SET offset_s=excluded.offset_s,"
            " posts=excluded.posts, message=excluded.message, seen_at=excluded.seen_at",
            (
                notice.source,
                notice.offset,
                notice.posts,
                notice.message,
                format_time(notice.seen_at),
            ),
        )

    def clear_zone(self, source: str) -> None:
        self._db.execute("DELETE FROM zone_notices WHERE source=?", (source,))

    def add_late(self, wave: LateWave) -> None:
        """Keep ``wave``; one already kept from the same first bucket grows by its posts."""
        self._db.execute(
            "INSERT INTO late_waves(series, product, first_at, last_at, posts, learned_at)"
            " VALUES (?,?,?,?,?,?) ON CONFLICT(series, first_at) DO UPDATE SET"
            " posts=posts + excluded.posts, last_at=max(last_at, excluded.last_at),"
            " learned_at=excluded.learned_at",
            (
                wave.series,
                wave.product,
                format_time(wave.first_at),
                format_time(wave.last_at),
                wave.posts,
                format_time(wave.learned_at),
            ),
        )

    def late(self, limit: int = 5) -> list[LateWave]:
        """The last ``limit`` waves learned as history, the latest first."""
        rows = self._db.execute(
            "SELECT series, product, first_at, last_at, posts, learned_at FROM late_waves"
            " ORDER BY learned_at DESC, series LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            LateWave(r[0], r[1], parse_time(r[2]), parse_time(r[3]), r[4], parse_time(r[5]))
            for r in rows
        ]


def _zone(r: tuple) -> ZoneNotice:
    return ZoneNotice(r[0], float(r[1]), int(r[2]), r[3], parse_time(r[4]))
