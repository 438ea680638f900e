"""Opening the SQLite file and the transaction every writer shares.

The connection runs in autocommit mode (``isolation_level=None``): a statement outside a
``Transaction`` commits on its own, and a ``Transaction`` is an explicit ``BEGIN IMMEDIATE``,
so writers take the file's write lock up front instead of failing on a read-to-write upgrade.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from types import TracebackType

__all__ = ["connect", "Transaction", "Rollback", "StoreUnusable", "environmental", "why_unusable"]

MEMORY = ":memory:"


BUSY_MS = 5000


class StoreUnusable(RuntimeError):
    """The store's file cannot be used as it is: the message says why and what to do."""


_ENVIRONMENT = ("not a database", "disk is full", "readonly", "read-only", "unable to open")


def environmental(exc: BaseException) -> bool:
    """Whether an error comes from the file and its disk (not from yujing's own SQL)."""
    return isinstance(exc, OSError) or any(part in str(exc) for part in _ENVIRONMENT)


def why_unusable(exc: BaseException) -> str:
    """What a SQLite or file-system error means for the person running yujing."""
    text = str(exc)
    errno = getattr(exc, "errno", None)
    if "not a database" in text:
        return (
            "is not a SQLite database (another file at storage.path?); move it aside or set "
            "storage.path to a new file"
        )
    if "disk is full" in text or errno == 28:
        return (
            "the disk is full; free some space and run again (what was stored is intact: the "
            "last unfinished write was rolled back)"
        )
    if "readonly" in text or "read-only" in text or errno in (1, 13, 30):
        return (
            f"cannot be written ({text}); yujing writes the file and its -wal and -shm beside "
            "it: check the folder's permissions, or point storage.path at a writable folder"
        )
    if "unable to open" in text or isinstance(exc, OSError):
        return (
            f"cannot be opened ({text}); check that its folder exists and can be written, or "
            "point storage.path elsewhere"
        )
    return f"cannot be used ({type(exc).__name__}: {text})"


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open (or create) the store's file with the pragmas every connection needs.

    ``readonly`` opens an existing file without writing anything to it, not even a journal
    mode: for looking at a store someone else owns.
    """
    if readonly:
        uri = f"file:{Path(path).resolve()}?mode=ro"
        db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        return db
    if str(path) != MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # One connection per thread; the daemon uses it from its event-loop thread only.
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    # Set first: everything below may meet another process (``yujing ingest`` or ``status``
    # beside the daemon) holding the lock.
    db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    _wal(db)
    # NORMAL is durable across process crashes in WAL mode; only power loss can drop the last commits.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def _wal(db: sqlite3.Connection) -> None:
    """Switch to WAL, waiting for other openers: SQLite does not apply the busy timeout to
    this switch, so two processes creating a new store at once could otherwise fail."""
    deadline = time.monotonic() + BUSY_MS / 1000
    delay = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


class Rollback(Exception):
    """Raised inside a ``Transaction`` to undo its writes quietly: the block just ends."""


class Transaction:
    """All writes inside commit together or not at all.

    Any exception rolls back and propagates, except ``Rollback``, which is swallowed. Inside
    another transaction (a batch of posts committed at once) it is a savepoint: a ``Rollback``
    undoes only its own writes, and nothing is durable before the outer one commits.
    """

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.savepoint: str | None = None

    def __enter__(self) -> None:
        if self.db.in_transaction:
            self.savepoint = f"nested_{id(self)}"
            self.db.execute(f"SAVEPOINT {self.savepoint}")
        else:
            self.db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if kind is not None and not self.db.in_transaction:
            # SQLite rolled the whole transaction back itself (a full disk, an I/O error):
            # there is nothing left to undo, and the error to report is the one raised.
            return kind is Rollback
        if self.savepoint is not None:
            if kind is not None:
                self.db.execute(f"ROLLBACK TO {self.savepoint}")
            self.db.execute(f"RELEASE {self.savepoint}")
            return kind is Rollback
        if kind is None:
            self.db.execute("COMMIT")
            return False
        self.db.execute("ROLLBACK")
        return kind is Rollback
