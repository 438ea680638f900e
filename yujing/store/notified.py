"""The notification log: what each receiver has been told of each alert.

One row per (receiver, alert, event, the alert's ``updated_at``), written with the outbox row
that carries it, so it says what a receiver was given, delivered yet or not. The notifier's
dedup stage reads it; handling actions go to the receivers it names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from yujing.records import format_time, parse_time

__all__ = ["Notified"]


class Notified:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def record(
        self, receiver: str, told: Iterable[tuple[str, str, datetime]], outbox_id: int
    ) -> None:
        """``told``: (alert id, event kind, the alert's updated_at) given to ``receiver``."""
        self._db.executemany(
            "INSERT OR IGNORE INTO notified(receiver, alert_id, event, updated_at, outbox_id)"
            " VALUES (?,?,?,?,?)",
            [(receiver, a, e, format_time(at), outbox_id) for a, e, at in told],
        )

    def sent(self, receiver: str, alert_id: str) -> list[tuple[str, datetime]]:
        """(event kind, updated_at) of what ``receiver`` was told of ``alert_id``, oldest first."""
        rows = self._db.execute(
            "SELECT event, updated_at FROM notified WHERE receiver=? AND alert_id=?"
            " ORDER BY outbox_id",
            (receiver, alert_id),
        ).fetchall()
        return [(r[0], parse_time(r[1])) for r in rows]

    def receivers(self, alert_id: str) -> list[str]:
        """The receivers that were told of ``alert_id``."""
        rows = self._db.execute(
            "SELECT DISTINCT receiver FROM notified WHERE alert_id=? ORDER BY receiver",
            (alert_id,),
        ).fetchall()
        return [r[0] for r in rows]
