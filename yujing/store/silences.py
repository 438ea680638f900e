"""Silences, kept so they outlive a restart and every daemon process sees the same ones."""

from __future__ import annotations

import json
import secrets
import sqlite3
from datetime import datetime

from yujing.alerts import Silence
from yujing.records import format_time, parse_time

__all__ = ["Silences"]

_COLUMNS = "id, matchers, starts_at, ends_at, author, comment"


def _silence(row: tuple) -> Silence:
    return Silence(
        matchers=tuple(json.loads(row[1])),
        starts_at=parse_time(row[2]),
        ends_at=parse_time(row[3]),
        author=row[4],
        comment=row[5],
        id=row[0],
    )


class Silences:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def add(self, silence: Silence) -> str:
        """Keep ``silence``; returns its id (a short one a person can type)."""
        sid = silence.id or secrets.token_hex(4)
        self._db.execute(
            f"INSERT INTO silences({_COLUMNS}, created_at) VALUES (?,?,?,?,?,?,?)",
            (
                sid,
                json.dumps(list(silence.matchers), ensure_ascii=False),
                format_time(silence.starts_at),
                format_time(silence.ends_at),
                silence.author,
                silence.comment,
                format_time(datetime.now(silence.starts_at.tzinfo)),
            ),
        )
        return sid

    def active(self, now: datetime) -> list[Silence]:
        at = format_time(now)
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM silences WHERE starts_at <= ? AND ends_at > ? ORDER BY ends_at",
            (at, at),
        ).fetchall()
        return [_silence(r) for r in rows]

    def all(self) -> list[Silence]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM silences ORDER BY starts_at").fetchall()
        return [_silence(r) for r in rows]

    def get(self, silence_id: str) -> Silence | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM silences WHERE id=?", (silence_id,)
        ).fetchone()
        return _silence(row) if row else None

    def created(self) -> dict[str, datetime]:
        """When each silence was kept, by id."""
        rows = self._db.execute("SELECT id, created_at FROM silences").fetchall()
        return {r[0]: parse_time(r[1]) for r in rows}

    def merge(self, silence: Silence) -> bool:
        """Keep a peer daemon's ``silence`` (``notify.peers``): added when new here, shortened
        when it ends earlier there (it was expired there). True when anything changed."""
        cur = self._db.execute(
            "UPDATE silences SET ends_at=? WHERE id=? AND ends_at > ?",
            (format_time(silence.ends_at), silence.id, format_time(silence.ends_at)),
        )
        if cur.rowcount:
            return True
        known = self._db.execute("SELECT 1 FROM silences WHERE id=?", (silence.id,)).fetchone()
        if known:
            return False
        self.add(silence)
        return True

    def expire(self, silence_id: str, now: datetime) -> bool:
        """End a silence now (as Alertmanager expires one); False when no such one is running."""
        at = format_time(now)
        cur = self._db.execute(
            # Never before its start: a silence expired before it began simply never runs.
            "UPDATE silences SET ends_at=max(?, starts_at) WHERE id=? AND ends_at > ?",
            (at, silence_id, at),
        )
        return cur.rowcount > 0
