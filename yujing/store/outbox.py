"""The delivery outbox: one row per notification until its receiver has taken it.

Rows are written in the transaction that flushes their group (or keeps a handling action), so
a message is never lost nor queued twice; delivery marks them as it goes. Rows from before
notifications carried several alerts hold one alert event each.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yujing.records import format_time, parse_time, utcnow

__all__ = ["Outbox", "OutboxItem"]


@dataclass(frozen=True)
class OutboxItem:
    id: int
    receiver: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime | None = None


class Outbox:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def enqueue(self, receiver: str, payload: dict[str, Any], at: datetime | None = None) -> int:
        """Queue ``payload`` for ``receiver``, due ``at`` (now); returns the row id."""
        now = format_time(at or utcnow())
        cur = self._db.execute(
            "INSERT INTO outbox(receiver, payload, created_at, next_attempt_at) VALUES (?,?,?,?)",
            (receiver, json.dumps(payload, ensure_ascii=False), now, now),
        )
        return int(cur.lastrowid or 0)

    def due(self, now: datetime | None = None, limit: int = 100) -> list[OutboxItem]:
        """Undelivered rows of every receiver whose next attempt is due, oldest first."""
        rows = self._db.execute(
            "SELECT id, receiver, payload, attempts FROM outbox"
            " WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            (format_time(now or utcnow()), limit),
        ).fetchall()
        return [OutboxItem(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    def delivered(self, item_id: int) -> None:
        self._db.execute(
            "UPDATE outbox SET delivered_at=?, attempts=attempts+1, last_error=NULL WHERE id=?",
            (format_time(utcnow()), item_id),
        )

    def give_up(self, item_id: int, reason: str) -> None:
        """Take a row that can never be delivered out of the queue; the row and why stay."""
        self._db.execute(
            "UPDATE outbox SET delivered_at=?, attempts=attempts+1, last_error=? WHERE id=?",
            (format_time(utcnow()), f"not delivered: {reason}"[:2000], item_id),
        )

    def failed(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt, keep its error and schedule the next one."""
        self._db.execute(
            "UPDATE outbox SET attempts=attempts+1, last_error=?, next_attempt_at=? WHERE id=?",
            (error[:2000], format_time(next_attempt_at), item_id),
        )

    def postpone(self, item_id: int, next_attempt_at: datetime) -> None:
        """Try again later without counting an attempt (a peer daemon is sending the same)."""
        self._db.execute(
            "UPDATE outbox SET next_attempt_at=? WHERE id=?",
            (format_time(next_attempt_at), item_id),
        )

    def pending(self) -> list[tuple[str, int, str | None]]:
        """(receiver, undelivered count, error of its oldest undelivered row) per receiver."""
        return self._db.execute(
            "SELECT receiver, count(*),"
            " (SELECT last_error FROM outbox o2 WHERE o2.receiver = o.receiver"
            "  AND o2.delivered_at IS NULL ORDER BY id LIMIT 1)"
            " FROM outbox o WHERE delivered_at IS NULL GROUP BY receiver ORDER BY receiver"
        ).fetchall()

    def queue(self, receiver: str, limit: int = 100) -> list[OutboxItem]:
        """One receiver's undelivered rows, oldest first, due or not (order is kept per receiver)."""
        rows = self._db.execute(
            "SELECT id, receiver, payload, attempts, next_attempt_at FROM outbox"
            " WHERE receiver=? AND delivered_at IS NULL ORDER BY id LIMIT ?",
            (receiver, limit),
        ).fetchall()
        return [OutboxItem(r[0], r[1], json.loads(r[2]), r[3], parse_time(r[4])) for r in rows]

    def due_in_order(self, receiver: str, now: datetime, limit: int = 100) -> list[OutboxItem]:
        """One receiver's undelivered rows, oldest first, up to the first one not due at ``now``
        (a row waiting for its retry holds back the rows behind it: order is kept). Rows behind
        it are not even read: through a long outage each delivery round costs the same."""
        rows = self._db.execute(
            "SELECT id, receiver, payload, attempts, next_attempt_at FROM outbox"
            " WHERE receiver=? AND delivered_at IS NULL AND id < coalesce("
            "  (SELECT min(id) FROM outbox WHERE receiver=? AND delivered_at IS NULL"
            "   AND next_attempt_at > ?), 9223372036854775807)"
            " ORDER BY id LIMIT ?",
            (receiver, receiver, format_time(now), limit),
        ).fetchall()
        return [OutboxItem(r[0], r[1], json.loads(r[2]), r[3], parse_time(r[4])) for r in rows]

    def dead_letters(self) -> dict[str, int]:
        """Per receiver, the rows set aside as undeliverable (``give_up``)."""
        rows = self._db.execute(
            "SELECT receiver, count(*) FROM outbox WHERE delivered_at IS NOT NULL"
            " AND last_error LIKE 'not delivered:%' GROUP BY receiver"
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def receivers_waiting(self) -> list[str]:
        """Receivers with undelivered rows."""
        rows = self._db.execute(
            "SELECT DISTINCT receiver FROM outbox WHERE delivered_at IS NULL ORDER BY receiver"
        )
        return [r[0] for r in rows]
