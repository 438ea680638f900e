"""Indexing: copy new posts to Elasticsearch when the config names a cluster."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.config import Config

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
            log.warning("indexing posts into Elasticsearch failed (will retry): %s", exc)

    def _close(self) -> None:
        if self.indexer is not None:
            self.indexer.client.close()
            self.indexer = None

    async def stop(self) -> None:
        await self.index_posts()
        self._close()
