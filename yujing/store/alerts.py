"""Alerts as they stand: one row per alert id, its latest state and document."""

from __future__ import annotations

import json
import sqlite3

from yujing.alerts import Alert, AlertState
from yujing.records import format_time

__all__ = ["Alerts"]


class Alerts:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def save(self, alert: Alert) -> None:
        """Insert the alert or replace its state and document (its key never changes)."""
        self._db.execute(
            "INSERT INTO alerts(id, key, state, updated_at, doc) VALUES (?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET state=excluded.state, updated_at=excluded.updated_at,"
            " doc=excluded.doc",
            (
                alert.id,
                alert.key,
                alert.state.value,
                format_time(alert.updated_at),
                json.dumps(alert.to_dict(), ensure_ascii=False),
            ),
        )

    def firing(self, key: str) -> Alert | None:
        """The most recently updated firing alert for ``key`` (say ``burst:anxin-e``)."""
        row = self._db.execute(
            "SELECT doc FROM alerts WHERE key=? AND state=? ORDER BY updated_at DESC LIMIT 1",
            (key, AlertState.FIRING.value),
        ).fetchone()
        return Alert.from_dict(json.loads(row[0])) if row else None

    def all(self, state: AlertState | None = None) -> list[Alert]:
        """Every alert, or those in ``state``, most recently updated first."""
        sql, args = "SELECT doc FROM alerts", ()
        if state is not None:
            sql, args = sql + " WHERE state=?", (state.value,)
        rows = self._db.execute(sql + " ORDER BY updated_at DESC", args).fetchall()
        return [Alert.from_dict(json.loads(r[0])) for r in rows]

    def get(self, alert_id: str) -> Alert | None:
        row = self._db.execute("SELECT doc FROM alerts WHERE id=?", (alert_id,)).fetchone()
        return Alert.from_dict(json.loads(row[0])) if row else None

    def find(self, ref: str) -> list[Alert]:
        """The alerts ``ref`` names: an id, a series key (its firing alert, else its latest) or
        the start of one id; several when a prefix is ambiguous."""
        alert = self.get(ref)
        if alert is not None:
            return [alert]
        row = self._db.execute(
            "SELECT doc FROM alerts WHERE key=? ORDER BY state=? DESC, updated_at DESC LIMIT 1",
            (ref, AlertState.FIRING.value),
        ).fetchone()
        if row:
            return [Alert.from_dict(json.loads(row[0]))]
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._db.execute(
            "SELECT doc FROM alerts WHERE id LIKE ? ESCAPE '\\' ORDER BY updated_at DESC LIMIT 5",
            (escaped + "%",),
        ).fetchall()
        return [Alert.from_dict(json.loads(r[0])) for r in rows]
