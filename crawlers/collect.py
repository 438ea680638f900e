"""Collectors: what runs a source of each type once, found by the type of its config model.

``COLLECTORS`` maps a source's config model (``yujing.config.sources``) to its collector's class
("module:Class"), imported only when a config has such a source, as receivers and rules are
found. A collector is built once per daemon (``Collector()``) and keeps what it needs between
runs (an inbox's files settling); ``collect`` runs one source once and never raises for what a
site or a file did wrong: that is counted in its ``Collected``.

Adding a source type: its config model (in ``yujing.config.sources`` and the ``Source`` union
there), its collector's module (a spider and its ``SpiderCollector`` subclass, as
``spiders/forum.py``), and a line in ``COLLECTORS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from yujing import config as cfg
from yujing.records import Post
from yujing.store import Store

__all__ = ["COLLECTORS", "CollectContext", "Collected", "Collector", "collector_class"]


@dataclass(frozen=True)
class CollectContext:
    """What a collector may need beside its source's config."""

    store: Store
    # The daemon's intake of the moment (a reload may replace it); call them on the event loop.
    accept: Callable[[Post], bool]
    accept_many: Callable[[list[Post]], list[bool]]
    # A crawl's batches: understood in worker processes where the machine has more than one
    # CPU (``yujing.app.understanding``), committed on the event loop; answers as accept_many.
    accept_crawled: Callable[[list[Post]], Awaitable[list[bool]]]
    salt: str
    timezone: str  # the config's; a source's own ``timezone`` comes first
    keywords: Sequence[str] = ()  # every product's name and aliases, for searching sources
    redis: cfg.Redis | None = None  # where ``shared: true`` crawls share their frontier
    scrapy_log_level: str = "WARNING"


@dataclass(frozen=True)
class Collected:
    """One run of a source: what came and what went wrong (the last error, and its kind)."""

    source: str
    items: int
    accepted: int
    errors: int
    last_error: str | None
    problem: str | None = None  # ``crawlers.spiders.base.Problem`` of the last error
    interrupted: bool = False  # cut short by a shutdown: it says nothing of the source's health


class Collector:
    """Runs sources of one type."""

    async def collect(self, source: Any, context: CollectContext) -> Collected:
        raise NotImplementedError

    async def stop(self) -> None:
        """Cut short what is running (the daemon is stopping): each run returns, interrupted or
        with what it stored so far."""


# Config model -> "module:Class"; each class is a ``Collector``.
COLLECTORS: dict[type, str] = {
    cfg.ForumSource: "yujing.crawlers.spiders.forum:ForumCollector",
    cfg.FeedSource: "yujing.crawlers.spiders.feed:FeedCollector",
    cfg.SitemapSource: "yujing.crawlers.spiders.sitemap:SitemapCollector",
    cfg.ApiSource: "yujing.crawlers.spiders.api:ApiCollector",
    cfg.TranscriptSource: "yujing.crawlers.inbox.collector:InboxCollector",
}


def collector_class(model: type) -> type[Collector]:
    """The collector of sources configured by ``model``; LookupError naming the known types."""
    entry = COLLECTORS.get(model)
    if entry is None:
        known = ", ".join(repr(_type_name(m)) for m in COLLECTORS)
        raise LookupError(
            f"no collector for sources of type {_type_name(model)!r}; known types: {known}"
        )
    module, name = entry.split(":")
    return getattr(importlib.import_module(module), name)


def _type_name(model: type) -> str:
    field = getattr(model, "model_fields", {}).get("type")
    values = getattr(field.annotation, "__args__", ()) if field is not None else ()
    return str(values[0]) if values else model.__name__
