"""Opening the SQLite file and the transaction every writer shares.

The connection runs in autocommit mode (``isolation_level=None``): a statement outside a
``Transaction`` commits on its own, and a ``Transaction`` is an explicit ``BEGIN IMMEDIATE``,
so writers take the file's write lock up front instead of failing on a read-to-write upgrade.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType

__all__ = ["connect", "Transaction", "Rollback"]

MEMORY = ":memory:"


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (or create) the store's file with the pragmas every connection needs."""
    if str(path) != MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # One connection per thread; the daemon uses it from its event-loop thread only.
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across process crashes in WAL mode; only power loss can drop the last commits.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    # Another process (``yujing ingest`` or ``status`` beside the daemon) may hold the lock.
    db.execute("PRAGMA busy_timeout=5000")
    return db


class Rollback(Exception):
    """Raised inside a ``Transaction`` to undo its writes quietly: the block just ends."""


class Transaction:
    """All writes inside commit together or not at all (not re-entrant).

    Any exception rolls back and propagates, except ``Rollback``, which is swallowed.
    """

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if kind is None:
            self.db.execute("COMMIT")
            return False
        self.db.execute("ROLLBACK")
        return kind is Rollback
