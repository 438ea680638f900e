"""The embedded store: one SQLite file in WAL mode.

It holds posts (a post is accepted once its row is committed), dedup keys, crawl runs, detector
state, alerts and the delivery outbox. One connection per thread; the daemon uses it from its
event-loop thread only.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from yujing.alerts import Alert, AlertState
from yujing.records import ScoredPost, format_time, parse_time, utcnow

__all__ = ["Store", "SourceRun", "OutboxItem"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    author TEXT,
    published_at TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    sentiment REAL NOT NULL,
    collective INTEGER NOT NULL DEFAULT 0,
    reach INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_published ON posts(published_at);
CREATE TABLE IF NOT EXISTS post_products (
    post_id TEXT NOT NULL REFERENCES posts(id),
    product TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (product, published_at, post_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dedup (
    key TEXT PRIMARY KEY,
    post_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS source_runs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    items INTEGER NOT NULL DEFAULT 0,
    accepted INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    complete INTEGER NOT NULL DEFAULT 1  -- 0: cut short by shutdown, not a verdict on the source
);
CREATE INDEX IF NOT EXISTS source_runs_by_source ON source_runs(source, id);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_key ON alerts(key, state);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    receiver TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(delivered_at, next_attempt_at);
-- The notifier's notification log: which rows a receiver has had for an alert.
CREATE INDEX IF NOT EXISTS outbox_by_alert ON outbox(receiver, json_extract(payload, '$.id'));
"""


@dataclass(frozen=True)
class SourceRun:
    source: str
    started_at: datetime
    finished_at: datetime | None
    items: int
    accepted: int
    errors: int
    last_error: str | None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    receiver: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime | None = None


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across process crashes in WAL mode; only power loss can drop the last commits.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)

    def transaction(self) -> _Transaction:
        """All writes inside commit together or not at all (not re-entrant)."""
        return _Transaction(self.db)

    # ------------------------------------------------------------ posts

    def has_post(self, post_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM posts WHERE id=?", (post_id,)).fetchone() is not None

    def find_duplicate(self, dedup_key: str) -> str | None:
        row = self.db.execute("SELECT post_id FROM dedup WHERE key=?", (dedup_key,)).fetchone()
        return row[0] if row else None

    def accept(self, scored: ScoredPost, dedup_key: str) -> bool:
        """Commit a post. False when it (or the same text) was accepted before."""
        post = scored.post
        published = format_time(post.published_at)
        with self._tx():
            cur = self.db.execute(
                "INSERT OR IGNORE INTO dedup(key, post_id) VALUES (?, ?)", (dedup_key, post.id)
            )
            if cur.rowcount == 0:
                return False
            cur = self.db.execute(
                "INSERT OR IGNORE INTO posts(id, source, url, author, published_at, fetched_at,"
                " sentiment, collective, reach, doc) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    post.id,
                    post.source,
                    post.url,
                    post.author,
                    published,
                    format_time(post.fetched_at),
                    scored.sentiment,
                    int(scored.collective),
                    post.reach.total(),
                    json.dumps(scored.to_dict(), ensure_ascii=False),
                ),
            )
            if cur.rowcount == 0:
                raise _Rollback  # the same post id came with other text: keep the first
            self.db.executemany(
                "INSERT OR IGNORE INTO post_products(post_id, product, published_at) VALUES (?,?,?)",
                [(post.id, p, published) for p in scored.products],
            )
            return True
        return False

    def get_post(self, post_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT doc FROM posts WHERE id=?", (post_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def count_posts(self) -> int:
        return self.db.execute("SELECT count(*) FROM posts").fetchone()[0]

    def product_counts(self, since: datetime | None = None) -> dict[str, int]:
        sql = "SELECT product, count(*) FROM post_products"
        args: tuple[Any, ...] = ()
        if since is not None:
            sql += " WHERE published_at >= ?"
            args = (format_time(since),)
        return dict(self.db.execute(sql + " GROUP BY product", args).fetchall())

    # ------------------------------------------------------------ crawl runs

    def start_run(self, source: str) -> int:
        cur = self.db.execute(
            "INSERT INTO source_runs(source, started_at) VALUES (?, ?)",
            (source, format_time(utcnow())),
        )
        return int(cur.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        items: int,
        accepted: int,
        errors: int,
        last_error: str | None,
        *,
        complete: bool = True,
    ) -> None:
        self.db.execute(
            "UPDATE source_runs SET finished_at=?, items=?, accepted=?, errors=?, last_error=?,"
            " complete=? WHERE id=?",
            (format_time(utcnow()), items, accepted, errors, last_error, int(complete), run_id),
        )

    def last_runs(self) -> dict[str, SourceRun]:
        """Each source's latest finished run that was not cut short by a shutdown."""
        rows = self.db.execute(
            "SELECT source, started_at, finished_at, items, accepted, errors, last_error"
            " FROM source_runs WHERE id IN (SELECT max(id) FROM source_runs"
            " WHERE complete=1 AND finished_at IS NOT NULL GROUP BY source)"
        ).fetchall()
        return {
            r[0]: SourceRun(
                source=r[0],
                started_at=parse_time(r[1]),
                finished_at=parse_time(r[2]) if r[2] else None,
                items=r[3],
                accepted=r[4],
                errors=r[5],
                last_error=r[6],
            )
            for r in rows
        }

    # ------------------------------------------------------------ state

    def get_state(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_state(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO state(key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, json.dumps(value, ensure_ascii=False)),
        )

    # ------------------------------------------------------------ alerts

    def save_alert(self, alert: Alert) -> None:
        self.db.execute(
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

    def firing_alert(self, key: str) -> Alert | None:
        row = self.db.execute(
            "SELECT doc FROM alerts WHERE key=? AND state=? ORDER BY updated_at DESC LIMIT 1",
            (key, AlertState.FIRING.value),
        ).fetchone()
        return Alert.from_dict(json.loads(row[0])) if row else None

    def alerts(self, state: AlertState | None = None) -> list[Alert]:
        sql, args = "SELECT doc FROM alerts", ()
        if state is not None:
            sql, args = sql + " WHERE state=?", (state.value,)
        rows = self.db.execute(sql + " ORDER BY updated_at DESC", args).fetchall()
        return [Alert.from_dict(json.loads(r[0])) for r in rows]

    # ------------------------------------------------------------ outbox

    def enqueue(self, receiver: str, payload: dict[str, Any]) -> int:
        now = format_time(utcnow())
        cur = self.db.execute(
            "INSERT INTO outbox(receiver, payload, created_at, next_attempt_at) VALUES (?,?,?,?)",
            (receiver, json.dumps(payload, ensure_ascii=False), now, now),
        )
        return int(cur.lastrowid or 0)

    def enqueued(self, receiver: str, alert_id: str) -> list[dict[str, Any]]:
        """The payloads ever enqueued for ``receiver`` about alert ``alert_id``, oldest first,
        delivered or not: the record of what that receiver has been told."""
        rows = self.db.execute(
            "SELECT payload FROM outbox WHERE receiver=? AND json_extract(payload, '$.id')=?"
            " ORDER BY id",
            (receiver, alert_id),
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def due(self, now: datetime | None = None, limit: int = 100) -> list[OutboxItem]:
        rows = self.db.execute(
            "SELECT id, receiver, payload, attempts FROM outbox"
            " WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            (format_time(now or utcnow()), limit),
        ).fetchall()
        return [OutboxItem(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    def delivered(self, item_id: int) -> None:
        self.db.execute(
            "UPDATE outbox SET delivered_at=?, attempts=attempts+1, last_error=NULL WHERE id=?",
            (format_time(utcnow()), item_id),
        )

    def failed(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        self.db.execute(
            "UPDATE outbox SET attempts=attempts+1, last_error=?, next_attempt_at=? WHERE id=?",
            (error[:2000], format_time(next_attempt_at), item_id),
        )

    def pending(self) -> list[tuple[str, int, str | None]]:
        """(receiver, undelivered count, error of its oldest undelivered row) per receiver."""
        return self.db.execute(
            "SELECT receiver, count(*),"
            " (SELECT last_error FROM outbox o2 WHERE o2.receiver = o.receiver"
            "  AND o2.delivered_at IS NULL ORDER BY id LIMIT 1)"
            " FROM outbox o WHERE delivered_at IS NULL GROUP BY receiver ORDER BY receiver"
        ).fetchall()

    def queue(self, receiver: str, limit: int = 100) -> list[OutboxItem]:
        """One receiver's undelivered rows, oldest first, due or not (order is kept per receiver)."""
        rows = self.db.execute(
            "SELECT id, receiver, payload, attempts, next_attempt_at FROM outbox"
            " WHERE receiver=? AND delivered_at IS NULL ORDER BY id LIMIT ?",
            (receiver, limit),
        ).fetchall()
        return [OutboxItem(r[0], r[1], json.loads(r[2]), r[3], parse_time(r[4])) for r in rows]

    def receivers_waiting(self) -> list[str]:
        """Receivers with undelivered rows."""
        rows = self.db.execute(
            "SELECT DISTINCT receiver FROM outbox WHERE delivered_at IS NULL ORDER BY receiver"
        )
        return [r[0] for r in rows]

    def posts_after(self, rowid: int, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        """Posts committed after ``rowid``, oldest first: a durable cursor for indexers."""
        rows = self.db.execute(
            "SELECT rowid, doc FROM posts WHERE rowid > ? ORDER BY rowid LIMIT ?", (rowid, limit)
        ).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def last_post_rowid(self) -> int:
        """The posts cursor at this moment (0 when there are none)."""
        return int(self.db.execute("SELECT max(rowid) FROM posts").fetchone()[0] or 0)

    def latest_published(self) -> datetime | None:
        row = self.db.execute("SELECT max(published_at) FROM posts").fetchone()
        return parse_time(row[0]) if row and row[0] else None


class _Rollback(Exception):
    pass


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> bool:
        if kind is None:
            self.db.execute("COMMIT")
            return False
        self.db.execute("ROLLBACK")
        return kind is _Rollback
