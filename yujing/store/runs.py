"""Crawl runs: one row per source run, for ``yujing status``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from yujing.records import format_time, parse_time, utcnow

__all__ = ["Runs", "SourceRun"]


@dataclass(frozen=True)
class SourceRun:
    source: str
    started_at: datetime
    finished_at: datetime | None
    items: int
    accepted: int
    errors: int
    last_error: str | None


class Runs:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def start(self, source: str, at: datetime | None = None) -> int:
        """Record that ``source`` started a run now; returns the run id for ``finish``."""
        cur = self._db.execute(
            "INSERT INTO source_runs(source, started_at) VALUES (?, ?)",
            (source, format_time(at or utcnow())),
        )
        return int(cur.lastrowid or 0)

    def finish(
        self,
        run_id: int,
        items: int,
        accepted: int,
        errors: int,
        last_error: str | None,
        *,
        complete: bool = True,
    ) -> None:
        """Record the run's outcome; ``complete=False`` when a shutdown cut it short."""
        self._db.execute(
            "UPDATE source_runs SET finished_at=?, items=?, accepted=?, errors=?, last_error=?,"
            " complete=? WHERE id=?",
            (format_time(utcnow()), items, accepted, errors, last_error, int(complete), run_id),
        )

    def accepted(
        self, source: str, since: datetime, until: datetime
    ) -> tuple[int, datetime | None]:
        """New posts the source's complete runs brought that started in [since, until), and
        when its first run ever started (how much history there is to judge it by)."""
        total = self._db.execute(
            "SELECT coalesce(sum(accepted), 0) FROM source_runs WHERE source=? AND complete=1"
            " AND started_at >= ? AND started_at < ?",
            (source, format_time(since), format_time(until)),
        ).fetchone()[0]
        first = self._db.execute(
            "SELECT min(started_at) FROM source_runs WHERE source=?", (source,)
        ).fetchone()[0]
        return int(total), parse_time(first) if first else None

    def failing_since(self) -> dict[str, datetime]:
        """Sources whose latest finished run brought nothing but errors, with the start of the
        first run of that losing streak (after their last run that brought something)."""
        rows = self._db.execute(
            "WITH done AS (SELECT * FROM source_runs WHERE complete=1 AND finished_at IS NOT NULL),"
            " latest AS (SELECT source, max(id) AS id FROM done GROUP BY source),"
            " good AS (SELECT source, max(id) AS id FROM done"
            "  WHERE NOT (errors > 0 AND items = 0) GROUP BY source)"
            " SELECT l.source, (SELECT min(started_at) FROM done d"
            "  WHERE d.source = l.source AND d.id > coalesce(g.id, 0))"
            " FROM latest l JOIN source_runs r ON r.id = l.id LEFT JOIN good g USING (source)"
            " WHERE r.errors > 0 AND r.items = 0"
        ).fetchall()
        return {r[0]: parse_time(r[1]) for r in rows}

    def latest(self) -> dict[str, SourceRun]:
        """Each source's latest finished run that was not cut short by a shutdown."""
        rows = self._db.execute(
            f"SELECT {_RUN} FROM source_runs WHERE id IN (SELECT max(id) FROM source_runs"
            " WHERE complete=1 AND finished_at IS NOT NULL GROUP BY source)"
        ).fetchall()
        return {r[0]: _source_run(r) for r in rows}

    def between(self, since: datetime, until: datetime) -> list[SourceRun]:
        """The finished runs, not cut short by a shutdown, that started in [since, until),
        oldest first: what a report says about each source's period."""
        rows = self._db.execute(
            f"SELECT {_RUN} FROM source_runs WHERE complete=1 AND finished_at IS NOT NULL"
            " AND started_at >= ? AND started_at < ? ORDER BY id",
            (format_time(since), format_time(until)),
        ).fetchall()
        return [_source_run(r) for r in rows]


_RUN = "source, started_at, finished_at, items, accepted, errors, last_error"


def _source_run(r: tuple) -> SourceRun:
    return SourceRun(
        source=r[0],
        started_at=parse_time(r[1]),
        finished_at=parse_time(r[2]) if r[2] else None,
        items=r[3],
        accepted=r[4],
        errors=r[5],
        last_error=r[6],
    )
