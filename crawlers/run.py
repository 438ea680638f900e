"""Run one crawl of one source inside the daemon's running asyncio loop.

The daemon installs Twisted's AsyncioSelectorReactor before anything imports the reactor and runs
its loop; every crawl is a fresh ``Crawler`` on that loop, so crawls repeat for the life of the
process with no reactor restarts (which Twisted does not allow).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scrapy import Spider
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings

from yujing.config import ApiSource, FeedSource, ForumSource, SitemapSource
from yujing.records import Post
from yujing.store.crawls import Validators

from . import settings as base_settings
from .pipelines import SinkRef
from .spiders.api import ApiSpider
from .spiders.feed import FeedSpider
from .spiders.forum import ForumSpider
from .spiders.sitemap import SitemapSpider

__all__ = [
    "CrawlResult",
    "crawl_settings",
    "crawl_source",
    "politeness",
    "spider_for",
    "stop_all_crawls",
]

# Crawls in progress, each with a future that completes once crawl_source has returned.
_RUNNING: dict[AsyncCrawlerRunner, asyncio.Future[None]] = {}


@dataclass(frozen=True, slots=True)
class CrawlResult:
    items: int  # posts that came through the pipeline (empty ones are dropped, not counted)
    accepted: int  # of those, how many the sink took as new
    errors: int  # failed requests, spider exceptions and sink failures
    last_error: str | None  # e.g. "GET http://127.0.0.1:9/list: connection refused"
    finished_reason: str | None  # Scrapy's close reason: "finished", "shutdown", ...
    duplicates: int = 0
    dropped: int = 0
    problem: str | None = None  # the last error's kind (``spiders.base.Problem``)
    # A feed's ETag and Last-Modified from this fetch: keep them once its posts are stored.
    validators: Validators | None = None
    not_modified: bool = False  # a feed that answered 304

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.finished_reason == "finished"


HttpSource = ForumSource | FeedSource | ApiSource | SitemapSource


def spider_for(
    source: HttpSource, keywords: Sequence[str] = ()
) -> tuple[type[Spider], dict[str, Any]]:
    """The spider class for a source config and the kwargs to start it with."""
    if isinstance(source, ForumSource):
        return ForumSpider, {"source": source}
    if isinstance(source, FeedSource):
        return FeedSpider, {"source": source}
    if isinstance(source, SitemapSource):
        return SitemapSpider, {"source": source}
    if isinstance(source, ApiSource):
        return ApiSpider, {"source": source, "keywords": list(keywords)}
    raise TypeError(f"no spider collects sources of type {getattr(source, 'type', source)!r}")


def crawl_settings(
    sink: Callable[[Post], bool] | None,
    *,
    salt: str,
    timezone: str,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """``crawlers.settings`` plus what one crawl needs; overrides win over both."""
    settings = Settings()
    settings.setmodule(base_settings, priority="project")
    settings.setdict(
        {
            "YUJING_POST_SINK": SinkRef(sink) if sink is not None else None,
            "YUJING_AUTHOR_SALT": salt,
            "YUJING_TIMEZONE": timezone,
            # The daemon owns the process: no telnet port per crawl, no signal handlers.
            "TELNETCONSOLE_ENABLED": False,
        },
        priority="cmdline",
    )
    if overrides:
        settings.setdict(dict(overrides), priority="cmdline")
    return settings


def politeness(source: HttpSource) -> dict[str, Any]:
    """Per-source pacing: ``delay`` seconds between requests, adapted by AutoThrottle when > 0,
    and at most ``concurrency`` requests to the site at once."""
    return {
        "DOWNLOAD_DELAY": source.delay,
        "AUTOTHROTTLE_ENABLED": source.delay > 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrency,
    }


async def crawl_source(
    source: HttpSource,
    sink: Callable[[Post], bool] | None,
    *,
    salt: str,
    timezone: str,
    settings_overrides: Mapping[str, Any] | None = None,
    keywords: Sequence[str] = (),
) -> CrawlResult:
    """Crawl ``source`` once, handing each post to ``sink``; must run on the reactor's loop.

    Download and parse failures do not raise: they are counted in the result, with the last one
    as a sentence for the operator. Bad configuration (an unknown source type) does raise.
    """
    spidercls, kwargs = spider_for(source, keywords)
    overrides = {**politeness(source), **(settings_overrides or {})}
    # Times the site prints without a zone are in the source's own zone, else the config's.
    zone = source.timezone or timezone
    runner = AsyncCrawlerRunner(crawl_settings(sink, salt=salt, timezone=zone, overrides=overrides))
    crawler = runner.create_crawler(spidercls)
    returned = asyncio.get_running_loop().create_future()
    _RUNNING[runner] = returned
    try:
        task = runner.crawl(crawler, **kwargs)
        try:
            # shield: if the daemon cancels us, stop the crawl cleanly rather than abandoning an
            # engine half-way, which would leave connections and timers behind.
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await runner.stop()
            await asyncio.wait([task])
            raise
    finally:
        del _RUNNING[runner]
        returned.set_result(None)
    stats = crawler.stats.get_stats()
    return CrawlResult(
        items=int(stats.get("item_scraped_count", 0)),
        accepted=int(stats.get("yujing/accepted", 0)),
        errors=int(stats.get("yujing/errors", 0)),
        last_error=stats.get("yujing/last_error"),
        finished_reason=stats.get("finish_reason"),
        duplicates=int(stats.get("yujing/duplicates", 0)),
        dropped=int(stats.get("item_dropped_count", 0)),
        problem=stats.get("yujing/last_problem"),
        validators=_validators(stats),
        not_modified=bool(stats.get("yujing/not_modified")),
    )


def _validators(stats: Mapping[str, Any]) -> Validators | None:
    etag, modified = stats.get("yujing/etag"), stats.get("yujing/last_modified")
    return Validators(etag, modified) if etag or modified else None


async def stop_all_crawls() -> None:
    """Stop every crawl ``crawl_source`` is running; complete once they have all returned.

    Each crawl closes with reason "shutdown" and its ``crawl_source`` call returns normally, so
    posts already handed to the sink stay accepted and callers can record the partial run.
    """
    running = dict(_RUNNING)
    if not running:
        return
    await asyncio.gather(*(runner.stop() for runner in running))
    await asyncio.gather(*running.values())
