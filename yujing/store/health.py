"""Source health: failed runs in a row, since when and why, and the last run that worked."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from yujing.records import format_time, parse_time

__all__ = ["Health", "SourceHealthLog"]


@dataclass(frozen=True, slots=True)
class Health:
    source: str
    failures: int = 0  # complete runs in a row that failed
    failing_since: datetime | None = None  # the first of them
    reason: str | None = None  # the latest failure's cause
    last_success_at: datetime | None = None

    @property
    def failing(self) -> bool:
        return self.failures > 0


def _time(value: str | None) -> datetime | None:
    return parse_time(value) if value else None


class SourceHealthLog:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def get(self, source: str) -> Health:
        row = self._db.execute(
            "SELECT failures, failing_since, reason, last_success_at FROM source_health"
            " WHERE source=?",
            (source,),
        ).fetchone()
        if row is None:
            return Health(source)
        return Health(source, row[0], _time(row[1]), row[2], _time(row[3]))

    def all(self) -> dict[str, Health]:
        rows = self._db.execute("SELECT source FROM source_health").fetchall()
        return {r[0]: self.get(r[0]) for r in rows}

    def record(self, source: str, *, ok: bool, reason: str | None, at: datetime) -> Health:
        """Count one complete run of ``source``; its health afterwards."""
        before = self.get(source)
        if ok:
            after = Health(source, 0, None, None, at)
        else:
            after = Health(
                source,
                before.failures + 1,
                before.failing_since or at,
                reason,
                before.last_success_at,
            )
        self._db.execute(
            "INSERT INTO source_health(source, failures, failing_since, reason, last_success_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT(source) DO UPDATE SET failures=excluded.failures,"
            " failing_since=excluded.failing_since, reason=excluded.reason,"
            " last_success_at=excluded.last_success_at",
            (
                source,
                after.failures,
                format_time(after.failing_since) if after.failing_since else None,
                after.reason,
                format_time(after.last_success_at) if after.last_success_at else None,
            ),
        )
        return after
