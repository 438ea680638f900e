"""Accepted posts, their products and the dedup keys that make a post count once."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from yujing.records import ScoredPost, format_time, parse_time

from .db import Rollback, Transaction

__all__ = ["Posts"]


class Posts:
    """A post is accepted once its row is committed; ``rowid`` order is commit order."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def has(self, post_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM posts WHERE id=?", (post_id,)).fetchone() is not None

    def find_duplicate(self, dedup_key: str) -> str | None:
        """The id of the post accepted under ``dedup_key`` (its normalised text), if any."""
        row = self._db.execute("SELECT post_id FROM dedup WHERE key=?", (dedup_key,)).fetchone()
        return row[0] if row else None

    def accept(self, scored: ScoredPost, dedup_key: str) -> bool:
        """Commit a post. False when it (or the same text) was accepted before."""
        post = scored.post
        published = format_time(post.published_at)
        with Transaction(self._db):
            cur = self._db.execute(
                "INSERT OR IGNORE INTO dedup(key, post_id) VALUES (?, ?)", (dedup_key, post.id)
            )
            if cur.rowcount == 0:
                return False
            cur = self._db.execute(
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
                raise Rollback  # the same post id came with other text: keep the first
            self._db.executemany(
                "INSERT OR IGNORE INTO post_products(post_id, product, published_at) VALUES (?,?,?)",
                [(post.id, p, published) for p in scored.products],
            )
            return True
        return False

    def get(self, post_id: str) -> dict[str, Any] | None:
        """The stored document (``ScoredPost.to_dict``) of a post."""
        row = self._db.execute("SELECT doc FROM posts WHERE id=?", (post_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM posts").fetchone()[0]

    def product_counts(self, since: datetime | None = None) -> dict[str, int]:
        """Posts per product, published at or after ``since`` when given."""
        sql = "SELECT product, count(*) FROM post_products"
        args: tuple[Any, ...] = ()
        if since is not None:
            sql += " WHERE published_at >= ?"
            args = (format_time(since),)
        return dict(self._db.execute(sql + " GROUP BY product", args).fetchall())

    def after(self, rowid: int, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        """Posts committed after ``rowid``, oldest first: a durable cursor for indexers."""
        rows = self._db.execute(
            "SELECT rowid, doc FROM posts WHERE rowid > ? ORDER BY rowid LIMIT ?", (rowid, limit)
        ).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def published_since(
        self, since: datetime | None, batch: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """Stored posts published at or after ``since`` (all, when None), oldest first.

        Read in batches by (published_at, id), so history of any length streams in flat memory.
        """
        at, last = format_time(since) if since else "", ""
        while True:
            rows = self._db.execute(
                "SELECT published_at, id, doc FROM posts WHERE (published_at, id) > (?, ?)"
                " ORDER BY published_at, id LIMIT ?",
                (at, last, batch),
            ).fetchall()
            if not rows:
                return
            for _, _, doc in rows:
                yield json.loads(doc)
            at, last = rows[-1][0], rows[-1][1]

    def last_rowid(self) -> int:
        """The posts cursor at this moment (0 when there are none)."""
        return int(self._db.execute("SELECT max(rowid) FROM posts").fetchone()[0] or 0)

    def latest_published(self) -> datetime | None:
        row = self._db.execute("SELECT max(published_at) FROM posts").fetchone()
        return parse_time(row[0]) if row and row[0] else None
