"""Indexing: copy new posts to Elasticsearch when the config names a cluster."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.config import Config

from .. import signals
from . import Component, Reload

__all__ = ["Indexing"]

log = logging.getLogger("yujing.daemon")

EVERY = 5.0
MAX_BATCHES = 20  # per run, so one run never holds the loop's turn for long


class Indexing(Component):
    """Idle while the config has no ``elasticsearch:`` section; a reload may add or drop it."""

    def __init__(self, daemon):
        super().__init__(daemon)
        self.indexer = self._build(daemon.config)
        self._failing: str | None = None  # the error last logged, while indexing fails

    @classmethod
    def from_daemon(cls, daemon) -> Component:
        part = super().from_daemon(daemon)
        daemon.signals.connect(part.posts_pruning, signal=signals.posts_pruning)
        return part

    def posts_pruning(self) -> int | None:
        """How far the indexer has copied: retention keeps the posts past it."""
        return self.indexer.cursor if self.indexer is not None else None

    def _build(self, config: Config) -> Any:
        if config.elasticsearch is None:
            return None
        from yujing.notifier.elastic import PostIndexer, make_client

        # The indexer installs the index templates itself before its first write, from a
        # worker thread: a cluster that is still starting never blocks the daemon.
        client = make_client(config.elasticsearch)
        # Names beside ids in every post, so Kibana shows 安心e生医疗险, not anxin-e.
        names = {c.id: c.name for c in config.categories} | {p.id: p.name for p in config.products}
        return PostIndexer(
            client,
            self.daemon.store,
            config.elasticsearch.index_prefix,
            names=names,
            retention=config.elasticsearch.retention,
        )

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self.every(scheduler, "index", EVERY, self.index_posts)

    def reload(self, change: Reload) -> None:
        old, new = change.old_config, change.new_config
        if (new.elasticsearch, new.products, new.categories) != (
            old.elasticsearch,
            old.products,
            old.categories,
        ):
            self._close()
            self.indexer = self._build(change.new_config)

    async def index_posts(self, max_batches: int = MAX_BATCHES) -> None:
        if self.indexer is None:
            return
        try:
            for _ in range(max_batches):
                if await self.indexer.index_pending_async() == 0:
                    break
        except Exception as exc:
            # Once when it starts failing (or fails differently), not every few seconds of
            # an outage; the posts wait in the store and go when the cluster is back.
            error = f"{type(exc).__name__}: {exc}"
            level = logging.DEBUG if error == self._failing else logging.WARNING
            self._failing = error
            log.log(level, "indexing posts into Elasticsearch failed (will retry): %s", error)
            return
        if self._failing is not None:
            self._failing = None
            log.info("indexing posts into Elasticsearch works again")

    def _close(self) -> None:
        if self.indexer is not None:
            self.indexer.client.close()
            self.indexer = None

    async def stop(self) -> None:
        await self.index_posts()
        self._close()
