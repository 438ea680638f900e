"""Small JSON documents by key: the detector's checkpoint, the indexer's cursor."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

__all__ = ["State"]


class State:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def get(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` (anything JSON can hold) under ``key``, replacing what was there."""
        self._db.execute(
            "INSERT INTO state(key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, json.dumps(value, ensure_ascii=False)),
        )
