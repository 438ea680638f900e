"""Retention: old posts leave the store, and with them old crawl runs and delivered messages.

What is still needed stays, whatever its age:

* posts a reader has not passed yet (``keep_after``: the lowest cursor of the readers that go
  through posts in commit order, the detector and the Elasticsearch indexer). Posts it has
  read are not needed by the detector again: its learned state is saved on its own;
* the newest post row: SQLite gives a new row ``max(rowid) + 1``, so deleting the newest
  row would hand its rowid out again, below the readers' cursors, and they would never see
  the post that got it;
* outbox rows not delivered, rows set aside as undeliverable (the record of what was lost),
  and every row about an alert still firing (the record of what its receivers were told);
* each source's latest crawl run (``yujing status`` shows it).

Deletes run in small batches, each its own transaction (the caller yields between them), so a daemon and ``yujing ingest``
writing beside it never wait long for the file's write lock.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from yujing.records import format_time

from .db import Transaction

__all__ = ["Pruned", "Retention"]

BATCH = 500


@dataclass(frozen=True)
class Pruned:
    posts: int = 0
    runs: int = 0
    messages: int = 0

    @property
    def total(self) -> int:
        return self.posts + self.runs + self.messages


class Retention:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def prune(self, before: datetime, *, keep_after: int, batch: int = BATCH) -> Pruned:
        """Delete up to ``batch`` rows of each kind older than ``before`` that are no longer
        needed (see the module); call again until it deletes nothing."""
        cutoff = format_time(before)
        return Pruned(
            posts=self._posts(cutoff, keep_after, batch),
            runs=self._delete(
                "DELETE FROM source_runs WHERE id IN (SELECT id FROM source_runs"
                " WHERE started_at < ? AND finished_at IS NOT NULL"
                " AND id NOT IN (SELECT max(id) FROM source_runs GROUP BY source) LIMIT ?)",
                cutoff,
                batch,
            ),
            messages=self._delete(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                " WHERE created_at < ? AND delivered_at IS NOT NULL"
                " AND (last_error IS NULL OR last_error NOT LIKE 'not delivered:%')"
                " AND json_extract(payload, '$.id') NOT IN"
                " (SELECT id FROM alerts WHERE state = 'firing') LIMIT ?)",
                cutoff,
                batch,
            ),
        )

    def _posts(self, cutoff: str, keep_after: int, batch: int) -> int:
        with Transaction(self._db):
            rows = self._db.execute(
                "SELECT id FROM posts WHERE published_at < ? AND rowid <= ?"
                " AND rowid < (SELECT max(rowid) FROM posts) ORDER BY published_at LIMIT ?",
                (cutoff, keep_after, batch),
            ).fetchall()
            # Children first: they reference the post (foreign keys are on).
            self._db.executemany("DELETE FROM post_products WHERE post_id=?", rows)
            self._db.executemany("DELETE FROM post_aliases WHERE post_id=?", rows)
            self._db.executemany("DELETE FROM post_urls WHERE post_id=?", rows)
            self._db.executemany("DELETE FROM post_amendments WHERE post_id=?", rows)
            self._db.executemany("DELETE FROM posts WHERE id=?", rows)
        return len(rows)

    def _delete(self, statement: str, cutoff: str, batch: int) -> int:
        with Transaction(self._db):
            return self._db.execute(statement, (cutoff, batch)).rowcount
