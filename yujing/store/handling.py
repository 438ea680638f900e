"""Handling actions (``yujing alert ack|assign|note|resolve``), and per alert when it was first
taken up and first dealt with, kept as the actions come so status and reports read them as is."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from yujing.alerts import Action, Handling
from yujing.records import format_time, parse_time

__all__ = ["Handlings", "HandlingTimes"]

# A person has taken the alert up once they acknowledge, take or hand it on, or close it.
_TAKES_UP = (Action.ACK, Action.ASSIGN, Action.RESOLVE)


@dataclass(frozen=True, slots=True)
class HandlingTimes:
    alert_id: str
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    assignee: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    false_alarm: str | None = None  # resolved as a false alarm, for this reason


def _handling(r: tuple) -> Handling:
    return Handling(
        alert_id=r[0], action=Action(r[1]), by=r[2], at=parse_time(r[3]), why=r[4], to=r[5]
    )


_COLUMNS = "alert_id, action, by, at, why, assignee"


class Handlings:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def add(self, h: Handling) -> None:
        """Keep ``h`` and bring its alert's times up to date (in the caller's transaction)."""
        self._db.execute(
            f"INSERT INTO handling({_COLUMNS}) VALUES (?,?,?,?,?,?)",
            (h.alert_id, h.action.value, h.by, format_time(h.at), h.why, h.to),
        )
        self._db.execute(
            "INSERT INTO alert_handling(alert_id) VALUES (?) ON CONFLICT(alert_id) DO NOTHING",
            (h.alert_id,),
        )
        at = format_time(h.at)
        if h.action in _TAKES_UP:
            self._db.execute(
                "UPDATE alert_handling SET acknowledged_at=?, acknowledged_by=?"
                " WHERE alert_id=? AND acknowledged_at IS NULL",
                (at, h.by, h.alert_id),
            )
        if h.action is Action.ASSIGN:
            self._db.execute(
                "UPDATE alert_handling SET assignee=? WHERE alert_id=?", (h.to, h.alert_id)
            )
        if h.action is Action.RESOLVE:
            self._db.execute(
                "UPDATE alert_handling SET resolved_at=?, resolved_by=?"
                " WHERE alert_id=? AND resolved_at IS NULL",
                (at, h.by, h.alert_id),
            )

    def mark_false_alarm(self, alert_id: str, reason: str) -> None:
        """The alert was a false alarm (``resolve --false-alarm``): kept for replay to count."""
        self._db.execute(
            "INSERT INTO alert_handling(alert_id, false_alarm) VALUES (?, ?)"
            " ON CONFLICT(alert_id) DO UPDATE SET false_alarm=excluded.false_alarm",
            (alert_id, reason),
        )

    def verdicts(self) -> dict[str, HandlingTimes]:
        """Every alert someone took up or marked, by id: which were kept, which false."""
        rows = self._db.execute(
            f"SELECT alert_id, {_TIMES} FROM alert_handling"
            " WHERE acknowledged_at IS NOT NULL OR false_alarm IS NOT NULL"
        ).fetchall()
        return {r[0]: _times(r[0], r[1:]) for r in rows}

    def of(self, alert_id: str) -> list[Handling]:
        """The alert's actions, oldest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM handling WHERE alert_id=? ORDER BY id", (alert_id,)
        ).fetchall()
        return [_handling(r) for r in rows]

    def recent(self, limit: int = 10) -> list[Handling]:
        """The latest actions on any alert, newest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM handling ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_handling(r) for r in rows]

    def times(self, alert_id: str) -> HandlingTimes:
        row = self._db.execute(
            f"SELECT {_TIMES} FROM alert_handling WHERE alert_id=?", (alert_id,)
        ).fetchone()
        return HandlingTimes(alert_id) if row is None else _times(alert_id, row)


_TIMES = "acknowledged_at, acknowledged_by, assignee, resolved_at, resolved_by, false_alarm"


def _times(alert_id: str, row: tuple) -> HandlingTimes:
    return HandlingTimes(
        alert_id,
        acknowledged_at=parse_time(row[0]) if row[0] else None,
        acknowledged_by=row[1],
        assignee=row[2],
        resolved_at=parse_time(row[3]) if row[3] else None,
        resolved_by=row[4],
        false_alarm=row[5],
    )
