"""``Store``: opens the file, brings its schema up to date, and hands out one view per concern."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from .alerts import Alerts
from .audit import Audit
from .chat import ChatMessages
from .crawls import Crawled, FeedValidators
from .db import StoreUnusable, Transaction, connect, environmental, why_unusable
from .groups import Groups
from .handling import Handlings
from .health import SourceHealthLog
from .migrations import check_readable, migrate
from .notices import TimeNotices
from .notified import Notified
from .outbox import Outbox
from .posts import Posts
from .retention import Retention
from .runs import Runs
from .silences import Silences
from .state import State

__all__ = ["Store"]


class Store:
    """The embedded store. Callers use the views (``store.posts.accept(...)``), which all share
    the one connection, so a ``transaction()`` spans whatever they write inside it."""

    def __init__(self, path: str | Path, *, readonly: bool = False):
        """``readonly``: look at an existing store without changing it, not even upgrading
        its schema (a file newer than this code is still refused)."""
        self.path = Path(path)
        try:
            self.db = connect(path, readonly=readonly)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StoreUnusable(f"storage.path {path}: {why_unusable(exc)}") from exc
        try:
            if readonly:
                check_readable(self.db, path)
            else:
                migrate(self.db, path)
        except (sqlite3.DatabaseError, OSError) as exc:
            self.db.close()
            if not environmental(exc):
                raise
            raise StoreUnusable(f"storage.path {path}: {why_unusable(exc)}") from exc
        except BaseException:
            self.db.close()  # a refused or failed upgrade must not leave the file open
            raise
        self.posts = Posts(self.db)
        self.runs = Runs(self.db)
        self.state = State(self.db)
        self.alerts = Alerts(self.db)
        self.outbox = Outbox(self.db)
        self.silences = Silences(self.db)
        self.groups = Groups(self.db)
        self.notified = Notified(self.db)
        self.handling = Handlings(self.db)
        self.audit = Audit(self.db)
        self.chat = ChatMessages(self.db)
        self.crawled = Crawled(self.db)
        self.validators = FeedValidators(self.db)
        self.health = SourceHealthLog(self.db)
        self.retention = Retention(self.db)
        self.time_notices = TimeNotices(self.db)

    def transaction(self) -> Transaction:
        """All writes inside commit together or not at all (nested: a savepoint)."""
        return Transaction(self.db)

    def size_bytes(self) -> int:
        """The file and its write-ahead log, as they take space on disk now."""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):  # no log yet, or an in-memory store
                total += Path(f"{self.path}{suffix}").stat().st_size
        return total

    def close(self) -> None:
        self.db.close()
