"""Every accepted post into Elasticsearch, in the order the store took them, from a cursor kept in
the store: a failed bulk is sent again, and amended posts are brought up to date."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from yujing.store import Store

from .documents import PostDoc
from .indices import install_templates, posts_index, posts_pattern

__all__ = ["PostIndexer", "CURSOR_KEY", "AMENDED_KEY", "BulkRetry"]

log = logging.getLogger("yujing.elastic")

CURSOR_KEY = "es.posts.cursor"
# The last post amendment (a record replaced by a richer one, two records merged, an edit) sent.
AMENDED_KEY = "es.posts.amended"


class PostIndexer:
    """Copies committed posts to the month indices in order, resuming from a durable cursor."""

    def __init__(
        self,
        client: Elasticsearch,
        store: Store,
        prefix: str,
        *,
        names: Mapping[str, str] | None = None,
        retention: float | None = None,
    ):
        self.client = client
        self.store = store
        self.prefix = prefix
        self.names = dict(names or {})  # product and category ids -> names
        self.retention = retention
        self._templates_installed = False

    @property
    def cursor(self) -> int:
        return int(self.store.state.get(CURSOR_KEY, 0))

    @property
    def amended(self) -> int:
        return int(self.store.state.get(AMENDED_KEY, 0))

    def index_pending(self, batch: int = 500) -> int:
        """Index up to ``batch`` posts (or, once they are all in, the amendments of posts
        already indexed); returns how many. Raises when the cluster refuses.

        The cursor moves only after the bulk succeeded, so a failure means the same posts are
        sent again later; the post id is the document id, so resending never duplicates.
        """
        rows, amendments = self._pending(batch)
        if rows or amendments:
            self._send(rows, self._amending(amendments))
            self._moved(rows, amendments)
        return len(rows) + len(amendments)

    async def index_pending_async(self, batch: int = 500) -> int:
        """Like ``index_pending``; the HTTP request runs in a worker thread, the store stays here."""
        rows, amendments = self._pending(batch)
        if rows or amendments:
            await asyncio.to_thread(self._send, rows, self._amending(amendments))
            self._moved(rows, amendments)
        return len(rows) + len(amendments)

    def _pending(self, batch: int) -> tuple[list[tuple[int, dict[str, Any]]], list[Any]]:
        rows = self.store.posts.after(self.cursor, limit=batch)
        if rows:  # new posts first: they go in as they read now, amended or not
            return rows, []
        return rows, self.store.posts.amendments_after(self.amended, limit=batch)

    def _moved(self, rows: list[tuple[int, dict[str, Any]]], amendments: list[Any]) -> None:
        if rows:
            self.store.state.set(CURSOR_KEY, rows[-1][0])
        if amendments:
            self.store.state.set(AMENDED_KEY, amendments[-1][0])

    def _amending(self, amendments: list[Any]) -> list[dict[str, Any]]:
        """Bulk actions that bring indexed posts up to date with their amendments: the richer
        record in place of the poorer one (moved if its month changed), a merged record's
        document deleted. Posts not indexed yet go in as they read now: nothing to amend."""
        actions: list[dict[str, Any]] = []
        for _, rowid, was, now in amendments:
            if rowid > self.cursor:
                continue
            old_index = posts_index(self.prefix, was["published_at"])
            current = None if "merged_into" in now else self.store.posts.get(was["id"])
            if current is not None:
                index = posts_index(self.prefix, current["published_at"])
                doc = PostDoc.from_post(current, index, self.names)
                actions.append(doc.to_dict(include_meta=True))
                if index == old_index:
                    continue
            actions.append({"_op_type": "delete", "_index": old_index, "_id": was["id"]})
        return actions

    def _send(
        self, rows: list[tuple[int, dict[str, Any]]], amending: Sequence[dict[str, Any]] = ()
    ) -> None:
        if not self._templates_installed:
            # Before the first write creates the index, or it would get dynamic mappings.
            install_templates(self.client, self.prefix, self.retention)
            self._templates_installed = True
        actions = [
            PostDoc.from_post(
                doc, posts_index(self.prefix, doc["published_at"]), self.names
            ).to_dict(include_meta=True)
            for _, doc in rows
        ] + list(amending)
        if not actions:
            return
        ok, errors = bulk(self.client, actions, chunk_size=len(actions), raise_on_error=False)
        transient = [e for e in errors if _item_status(e) in RETRYABLE or _item_status(e) >= 500]
        if transient:
            raise BulkRetry(
                f"{len(transient)} of {len(actions)} posts refused for now "
                f"(HTTP {_item_status(transient[0])}); the batch is sent again later"
            )
        for error in errors:
            if "delete" in error and _item_status(error) == 404:
                continue  # already gone: what the delete wanted
            # A document the cluster will never take (a mapping conflict, say) must not block
            # every post after it: it is logged and skipped; the post stays in the local store.
            item = next(iter(error.values()))
            log.warning("post %s not indexed: %s", item.get("_id"), item.get("error"))
        log.debug("indexed %d posts into %s", ok, posts_pattern(self.prefix))


RETRYABLE = {408, 429}


class BulkRetry(Exception):
    """Some documents of a bulk were refused for a reason that passes (overload, shard down)."""


def _item_status(error: dict[str, Any]) -> int:
    item = next(iter(error.values()), {})
    return int(item.get("status", 0))
