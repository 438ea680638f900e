"""Crawl state per source: the list entries fetched, and a feed's HTTP validators.

Kept in the store so a restart carries on where the last crawl stopped: it neither fetches
every stored page again nor misses what appeared meanwhile.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from yujing.records import format_time, parse_time, utcnow

__all__ = ["Crawled", "FeedValidators", "Seen", "Validators"]


@dataclass(frozen=True, slots=True)
class Seen:
    """A list entry as it was when its page was last fetched."""

    signature: str | None  # what the entry showed (reply count, last reply); None: nothing
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


def _digest(key: str) -> str:
    # A thread's URL may carry a phone number or an e-mail address (sites put them in query
    # strings); the crawl state needs only to recognise it, so it keeps a digest.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class Crawled:
    """List entries a source's crawls have fetched, by key (a thread's URL, an entry's id),
    kept as a digest of the key."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def seen(self, source: str, key: str) -> Seen | None:
        row = self._db.execute(
            "SELECT signature, fetched_at FROM crawl_seen WHERE source=? AND key=?",
            (source, _digest(key)),
        ).fetchone()
        return Seen(row[0], parse_time(row[1])) if row else None

    def remember(
        self, source: str, key: str, signature: str | None, at: datetime | None = None
    ) -> None:
        self._db.execute(
            "INSERT INTO crawl_seen(source, key, signature, fetched_at) VALUES (?,?,?,?)"
            " ON CONFLICT(source, key) DO UPDATE SET signature=excluded.signature,"
            " fetched_at=excluded.fetched_at",
            (source, _digest(key), signature, format_time(at or utcnow())),
        )

    def count(self, source: str) -> int:
        return self._db.execute(
            "SELECT count(*) FROM crawl_seen WHERE source=?", (source,)
        ).fetchone()[0]


class FeedValidators:
    """The ETag and Last-Modified a feed sent with its last complete fetch."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def get(self, source: str) -> Validators:
        row = self._db.execute(
            "SELECT etag, last_modified FROM feed_validators WHERE source=?", (source,)
        ).fetchone()
        return Validators(row[0], row[1]) if row else Validators()

    def set(self, source: str, validators: Validators) -> None:
        self._db.execute(
            "INSERT INTO feed_validators(source, etag, last_modified) VALUES (?,?,?)"
            " ON CONFLICT(source) DO UPDATE SET etag=excluded.etag,"
            " last_modified=excluded.last_modified",
            (source, validators.etag, validators.last_modified),
        )
