"""Accepted posts, their products, and the other ids a post was seen under.

A post is identified by its id (its source and the source's own id for it: ``records.post_id``),
never by its text. Which posts copy which, and which are one post seen through two channels, is
decided before a post gets here (``yujing.detector.identity``); the store keeps the verdict: a
copy is a post of its own, the same post seen again is an alias of the stored one.

Each stored post and each sighting linked to it is also found by its web address
(``web_address``, ``by_address``): a feed entry links to the page it announces, so the two are one
post whatever their texts (a feed often carries only the first lines). When a richer record of a
stored post replaces it (``replace``), or the post is edited (``update``), the change is kept as an
amendment (``amendments_after``):
a reader that counted the post as it was (the detector) corrects who posted it from there, and
the row's document says which amendment it already includes (``"amended"``).
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

from yujing.records import Post, ScoredPost, format_time, parse_time, utcnow

from .db import Rollback, Transaction

__all__ = ["Posts", "Amendment", "web_address"]

# Ids in one query: far below any SQLite build's limit on parameters (999 in old ones).
_IDS_PER_QUERY = 400


def _dump(doc: dict[str, Any]) -> str:
    """A post's stored document. Every accepted post is written once: orjson writes it several
    times faster than the json module, as the same JSON (UTF-8, no spaces). What it refuses
    (an integer beyond 64 bits in a collector's extras) the json module writes instead. Read
    back with the json module, which keeps such integers exact."""
    try:
        return orjson.dumps(doc).decode()
    except orjson.JSONEncodeError:
        return json.dumps(doc, ensure_ascii=False)


# Query parameters that say how a reader came to a page, not which page it is (utm_* too).
_TRACKING = frozenset({"spm", "from", "share", "share_from", "scene", "isappinstalled"})

# (seq, the row's rowid, the post as it was, the post as it became): ``Posts.amendments_after``.
Amendment = tuple[int, int, dict[str, Any], dict[str, Any]]


# A new post's address is asked twice (is a post of another source stored there? then its own
# row): the second time comes from here.
@lru_cache(maxsize=1024)
def web_address(url: str) -> str | None:
    """The address two sightings of one web page share: scheme, ``www.``, a trailing slash and
    tracking parameters left out, host in lower case. None for what is not a web page (a call's
    ``transcript://`` place). The fragment stays: ``thread.html#pid42`` is a reply in the thread,
    another post than the thread's first."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port not in (None, 80, 443) else ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if not _tracking(k.lower())]
    path = parts.path.rstrip("/")
    query_part = f"?{urlencode(sorted(query))}" if query else ""
    return f"{host}{port}{path}{query_part}" + (f"#{parts.fragment}" if parts.fragment else "")


def _tracking(key: str) -> bool:
    return key.startswith("utm_") or key in _TRACKING


class Posts:
    """A post is accepted once its row is committed; ``rowid`` order is commit order."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def has(self, post_id: str) -> bool:
        """Whether the post is stored, or was seen as another channel's copy of a stored one."""
        row = self._db.execute(
            "SELECT 1 FROM posts WHERE id=? UNION ALL SELECT 1 FROM post_aliases WHERE id=?",
            (post_id, post_id),
        ).fetchone()
        return row is not None

    def known(self, post_ids: Iterable[str]) -> set[str]:
        """Those of ``post_ids`` that ``has`` would say are known, asked in a few queries."""
        ids = list(post_ids)
        found: set[str] = set()
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT id FROM posts WHERE id IN ({marks})"
                f" UNION ALL SELECT id FROM post_aliases WHERE id IN ({marks})",
                chunk + chunk,
            )
            found.update(row[0] for row in rows)
        return found

    def accept(self, scored: ScoredPost) -> int | None:
        """Commit a post; its rowid, or None when a post with its id was seen before."""
        with Transaction(self._db):
            if self._db.execute(
                "SELECT 1 FROM post_aliases WHERE id=?", (scored.post.id,)
            ).fetchone():
                raise Rollback
            rowid = self.insert(scored)
            if rowid is None:
                raise Rollback
            return rowid
        return None

    def insert(self, scored: ScoredPost) -> int | None:
        """``accept`` inside a transaction whose caller knows the id is no alias (``known``):
        its rowid, or None when a post with its id is stored (nothing is written then). No
        savepoint of its own: if it fails, the caller's transaction is rolled back whole."""
        columns = self._columns(scored)
        cur = self._db.execute(
            "INSERT OR IGNORE INTO posts(id, source, url, author, published_at, fetched_at,"
            " sentiment, collective, reach, doc) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (scored.post.id, *columns),
        )
        if cur.rowcount == 0:
            return None  # the same post again: the first stays
        self._products(scored, columns)
        self._address(scored.post.url, scored.post.id)
        return cur.lastrowid

    def by_address(self, url: str) -> str | None:
        """The stored post seen at ``url`` (its own or a linked sighting's), by ``web_address``."""
        address = web_address(url)
        if address is None:
            return None
        row = self._db.execute(
            "SELECT post_id FROM post_urls WHERE address=?", (address,)
        ).fetchone()
        return row[0] if row else None

    def _address(self, url: str, post_id: str) -> None:
        address = web_address(url)
        if address is not None:
            self._db.execute(
                "INSERT OR IGNORE INTO post_urls(address, post_id) VALUES (?,?)",
                (address, post_id),
            )

    def link(self, alias: Post, post_id: str) -> bool:
        """Record ``alias`` as the stored post ``post_id`` seen through another channel."""
        with Transaction(self._db):
            return self._link(alias, post_id)

    def replace(self, scored: ScoredPost, alias: Post) -> bool:
        """A richer record of the stored post ``scored.post.id`` (seen as ``alias``) replaces it.

        The row keeps its id and rowid: readers of ``after`` that have passed it (the detector)
        do not see it as a new post and never count it twice; the ones still behind it read
        the richer record. ``alias``'s own id is linked to it. False if the post is not stored.
        """
        with Transaction(self._db):
            if not self._amend(scored):
                raise Rollback
            self._address(scored.post.url, scored.post.id)
            return self._link(alias, scored.post.id)
        return False

    def _amend(self, scored: ScoredPost) -> bool:
        """The stored row rewritten as ``scored``, the change kept as an amendment the row
        then includes; False (nothing written) when it is not stored."""
        row = self._db.execute(
            "SELECT rowid, doc FROM posts WHERE id=?", (scored.post.id,)
        ).fetchone()
        if row is None:
            return False
        seq = self._db.execute(
            "INSERT INTO post_amendments(post_id, post_rowid, was, now, at) VALUES (?,?,?,?,?)",
            (scored.post.id, row[0], row[1], _dump(scored.to_dict()), format_time(utcnow())),
        ).lastrowid
        return self._rewrite(scored, amended=seq)

    def merge(self, second: Post, into: str) -> bool:
        """The stored post ``second`` is another record of the stored post ``into`` (found to be
        one when a third sighting matched both): its row goes, its id and sightings become
        ``into``'s, and an amendment (now ``{"merged_into": into}``) tells a reader that counted
        it to take it back. False if either is not stored."""
        with Transaction(self._db):
            row = self._db.execute(
                "SELECT rowid, doc FROM posts WHERE id=?", (second.id,)
            ).fetchone()
            if row is None or second.id == into or self.get(into) is None:
                raise Rollback
            self._db.execute(
                "INSERT INTO post_amendments(post_id, post_rowid, was, now, at) VALUES (?,?,?,?,?)",
                (into, row[0], row[1], _dump({"merged_into": into}), format_time(utcnow())),
            )
            for table in ("post_aliases", "post_urls"):
                self._db.execute(f"UPDATE {table} SET post_id=? WHERE post_id=?", (into, second.id))
            self._db.execute("DELETE FROM post_products WHERE post_id=?", (second.id,))
            self._db.execute("DELETE FROM posts WHERE id=?", (second.id,))
            return self._link(second, into)
        return False

    def amendments_after(self, seq: int, limit: int = 1000) -> list[Amendment]:
        """Replacements by richer records committed after amendment ``seq``, oldest first."""
        rows = self._db.execute(
            "SELECT seq, post_rowid, was, now FROM post_amendments WHERE seq > ?"
            " ORDER BY seq LIMIT ?",
            (seq, limit),
        ).fetchall()
        return [(r[0], r[1], json.loads(r[2]), json.loads(r[3])) for r in rows]

    def update(self, scored: ScoredPost) -> bool:
        """The stored post ``scored.post.id`` as it reads now (an edited post, its reach grown):
        its fields and products change, its id and rowid do not, so readers past it (the
        detector) never count it twice; the change is an amendment, so readers that sent it on
        (the Elasticsearch indexer) send it again. False if it is not stored."""
        with Transaction(self._db):
            if not self._amend(scored):
                raise Rollback
            return True
        return False

    def aliases(self, post_id: str) -> list[tuple[str, str, str]]:
        """(id, source, url) of each other sighting linked to the stored post."""
        rows = self._db.execute(
            "SELECT id, source, url FROM post_aliases WHERE post_id=? ORDER BY linked_at, id",
            (post_id,),
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def _columns(self, scored: ScoredPost, amended: int | None = None) -> tuple[Any, ...]:
        post = scored.post
        doc = scored.to_dict()
        if amended is not None:
            doc["amended"] = amended
        return (
            post.source,
            post.url,
            post.author,
            doc["published_at"],  # formatted once, for the document and the column alike
            doc["fetched_at"],
            scored.sentiment,
            int(scored.collective),
            post.reach.total(),
            _dump(doc),
        )

    def _rewrite(self, scored: ScoredPost, amended: int) -> bool:
        """The stored row of ``scored.post.id`` and its products as ``scored`` has them, its
        id and rowid kept; False (nothing written) when it is not stored. ``amended``: the
        amendment it now includes."""
        post_id = scored.post.id
        columns = self._columns(scored, amended)
        cur = self._db.execute(
            "UPDATE posts SET source=?, url=?, author=?, published_at=?, fetched_at=?,"
            " sentiment=?, collective=?, reach=?, doc=? WHERE id=?",
            (*columns, post_id),
        )
        if cur.rowcount == 0:
            return False
        self._db.execute("DELETE FROM post_products WHERE post_id=?", (post_id,))
        self._products(scored, columns)
        return True

    def _products(self, scored: ScoredPost, columns: tuple[Any, ...]) -> None:
        """``columns`` are the row's (``_columns``): its published time is formatted there."""
        if not scored.products:
            return
        published = columns[3]
        self._db.executemany(
            "INSERT OR IGNORE INTO post_products(post_id, product, published_at) VALUES (?,?,?)",
            [(scored.post.id, p, published) for p in scored.products],
        )

    def _link(self, alias: Post, post_id: str) -> bool:
        cur = self._db.execute(
            "INSERT OR IGNORE INTO post_aliases(id, post_id, source, url, linked_at)"
            " VALUES (?,?,?,?,?)",
            (alias.id, post_id, alias.source, alias.url, format_time(utcnow())),
        )
        self._address(alias.url, post_id)
        return cur.rowcount == 1

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

    def fetched_since(self, since: datetime | None, batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Stored posts published at or after ``since`` (all, when None), in the order they
        were fetched: the order they came in.

        No index orders posts by fetch time, and paging through an unindexed order would sort
        the table once per page: the order is read once (8 bytes a post), then the posts in
        batches by rowid.
        """
        order = array(
            "q",
            (
                r[0]
                for r in self._db.execute(
                    "SELECT rowid FROM posts WHERE published_at >= ? ORDER BY fetched_at, rowid",
                    (format_time(since) if since else "",),
                )
            ),
        )
        for start in range(0, len(order), batch):
            ids = order[start : start + batch].tolist()
            rows = dict(
                self._db.execute(
                    f"SELECT rowid, doc FROM posts WHERE rowid IN ({','.join('?' * len(ids))})",
                    ids,
                ).fetchall()
            )
            for rowid in ids:
                if rowid in rows:  # gone meanwhile (retention)
                    yield json.loads(rows[rowid])

    def recent(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """The last ``limit`` posts committed, oldest first (what a copy index starts from)."""
        rows = self._db.execute(
            "SELECT rowid, doc FROM (SELECT rowid, doc FROM posts ORDER BY rowid DESC LIMIT ?)"
            " ORDER BY rowid",
            (limit,),
        ).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def last_rowid(self) -> int:
        """The posts cursor at this moment (0 when there are none)."""
        return int(self._db.execute("SELECT max(rowid) FROM posts").fetchone()[0] or 0)

    def latest_published(self) -> datetime | None:
        row = self._db.execute("SELECT max(published_at) FROM posts").fetchone()
        return parse_time(row[0]) if row and row[0] else None

    def latest_dated(self) -> datetime | None:
        """The latest time a stored post counts at: when it was published, or when it was
        fetched if it is dated after that (a misdated post cannot be ahead of its fetch)."""
        row = self._db.execute(
            "SELECT max(CASE WHEN published_at <= fetched_at THEN published_at"
            " ELSE fetched_at END) FROM posts"
        ).fetchone()
        return parse_time(row[0]) if row and row[0] else None
