"""Run one crawl of one source inside the daemon's running asyncio loop.

The daemon installs Twisted's AsyncioSelectorReactor before anything imports the reactor and runs
its loop; every crawl is a fresh ``Crawler`` on that loop, so crawls repeat for the life of the
process with no reactor restarts (which Twisted does not allow).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from scrapy import Spider
from scrapy.crawler import AsyncCrawlerRunner, Crawler
from scrapy.settings import Settings

from yujing.config import HttpSourceBase
from yujing.records import post_id
from yujing.store import Store
from yujing.store.crawls import Validators

from . import settings as base_settings
from .batches import PostsSink
from .collect import CollectContext, Collected, Collector, collector_class
from .incremental import StoredMemory
from .pipelines import SinkRef

__all__ = [
    "CrawlResult",
    "SharedFrontier",
    "SpiderCollector",
    "crawl_settings",
    "crawl_source",
    "known_url",
    "politeness",
    "spider_for",
    "stop_all_crawls",
]

log = logging.getLogger(__name__)

# How often a stop asked of a crawl still starting looks whether its engine runs yet.
STARTING_POLL = 0.05


@dataclass(eq=False, slots=True)
class _Crawl:
    """A crawl in progress: its crawler, its task, and a future set once crawl_source returned."""

    crawler: Crawler
    task: asyncio.Future[None]
    returned: asyncio.Future[None]

    async def stop(self) -> None:
        """Stop the crawl gracefully (reason "shutdown"), also while it is still starting.

        Scrapy's ``Crawler.stop_async`` stops only an engine that runs: asked while the spider
        is opening, it marks the crawler stopped and does nothing more, the crawl then runs to
        its end, and that end (which asks the crawler to stop, and is told it has) never
        returns. So a stop waits for the engine to run, or for the crawl to have ended.
        """
        while not self.task.done() and not _engine_running(self.crawler):
            await asyncio.sleep(STARTING_POLL)
        if not self.task.done():
            await self.crawler.stop_async()


def _engine_running(crawler: Crawler) -> bool:
    engine = crawler._engine  # Scrapy's documented read of an engine not set yet
    return engine is not None and engine.running


# Crawls in progress.
_RUNNING: set[_Crawl] = set()


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


HttpSource = HttpSourceBase


def spider_for(
    source: HttpSource, keywords: Sequence[str] = ()
) -> tuple[type[Spider], dict[str, Any]]:
    """The spider class for a source config (its collector's, ``COLLECTORS``) and the kwargs
    to start it with."""
    try:
        collector = collector_class(type(source))
    except LookupError as exc:
        raise TypeError(str(exc)) from None
    if not issubclass(collector, SpiderCollector):
        raise TypeError(f"sources of type {getattr(source, 'type', source)!r} are not crawled")
    return collector.spider, collector.spider_kwargs(source, keywords)


class SpiderCollector(Collector):
    """Collects a source by crawling it with ``spider`` (``crawl_source``): incremental (the
    entries fetched, ``store.crawled``), posts already stored skipped, and shared with the other
    daemons when the source says ``shared: true``."""

    spider: ClassVar[type[Spider]]
    searches: ClassVar[bool] = False  # started with the products' names (``keywords: true``)

    @classmethod
    def spider_kwargs(cls, source: HttpSource, keywords: Sequence[str]) -> dict[str, Any]:
        return (
            {"source": source, "keywords": list(keywords)} if cls.searches else {"source": source}
        )

    def settings(self, source: HttpSource, context: CollectContext) -> dict[str, Any]:
        """Settings of this source's crawl beyond ``crawlers.settings`` and its politeness."""
        return {
            "LOG_LEVEL": context.scrapy_log_level,
            "YUJING_KNOWN_URL": known_url(context.store, source.name),
            "YUJING_CRAWL_MEMORY": StoredMemory(context.store.crawled, source.name),
        }

    def finished(self, source: HttpSource, result: CrawlResult, context: CollectContext) -> None:
        """After the crawl, before it is recorded."""

    async def collect(self, source: HttpSource, context: CollectContext) -> Collected:
        redis = context.redis
        result = await crawl_source(
            source,
            context.accept_crawled,
            salt=context.salt,
            timezone=context.timezone,
            settings_overrides=self.settings(source, context),
            keywords=context.keywords,
            shared=SharedFrontier(redis.url, redis.key_prefix)
            if source.shared and redis is not None
            else None,
        )
        self.finished(source, result, context)
        return Collected(
            source.name,
            result.items,
            result.accepted,
            result.errors,
            result.last_error,
            result.problem,
            interrupted=result.finished_reason == "shutdown",
        )

    async def stop(self) -> None:
        # Running crawls end with reason "shutdown" and return what they stored.
        await stop_all_crawls()


def known_url(store: Store, source: str) -> Callable[[str], bool]:
    """Whether the post a native id names is stored: spiders skip it instead of fetching or
    parsing it again. The native id is what the post id is made from: a forum thread's URL, a
    feed entry's guid (else its link). A post linked to a stored one as its copy on another
    channel is known too."""
    return lambda native_id: store.posts.has(post_id(source, native_id))


def crawl_settings(
    sink: PostsSink | None,
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


@dataclass(frozen=True, slots=True)
class SharedFrontier:
    """Where daemons on several machines share a crawl: one request queue and one set of seen
    request fingerprints per source and round in Redis (scrapy-redis). Each page is fetched by
    one of them, so each post is stored once, by whichever daemon fetched it."""

    url: str  # redis://host:6379/0
    key_prefix: str = "yujing"

    def keys(self, source: HttpSource, now: float) -> tuple[str, str]:
        """The queue and dupefilter keys of the round ``now`` falls in. Daemons that start the
        same source within one ``interval`` (a round) join the same crawl; the next round is
        a new crawl with nothing seen yet."""
        round_ = math.floor(now / source.interval)
        base = f"{self.key_prefix}:{source.name}:{round_}"
        return f"{base}:requests", f"{base}:dupefilter"

    def settings(self, source: HttpSource, now: float) -> dict[str, Any]:
        queue, seen = self.keys(source, now)
        return {
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "REDIS_URL": self.url,
            "SCHEDULER_QUEUE_KEY": queue,
            "SCHEDULER_DUPEFILTER_KEY": seen,
            # A daemon that finishes first must not delete the queue under the others; the keys
            # expire instead (``expire``).
            "SCHEDULER_PERSIST": True,
            # 0: pop without blocking. A blocking pop would stall the daemon's event loop; a
            # daemon whose queue is empty finishes while others work through what they hold.
            "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        }

    def expire(self, source: HttpSource, now: float) -> None:
        """Let the round's keys go once no daemon can join it any more: two intervals on."""
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=30)
        try:
            ttl = max(1, math.ceil(2 * source.interval))
            for key in self.keys(source, now):
                client.expire(key, ttl)
        except redis.RedisError as exc:
            # The crawl's result stands; the keys then stay until Redis is cleaned by hand.
            log.warning(
                "could not set the expiry of %s's crawl keys in Redis: %s", source.name, exc
            )
        finally:
            client.close()


def politeness(source: HttpSource) -> dict[str, Any]:
    """Per-source pacing: ``delay`` seconds between requests, adapted by AutoThrottle when > 0,
    and at most ``concurrency`` requests to the site at once; and no response larger than the
    source's ``limits.max_response_mb`` (a warning at a quarter of it)."""
    maxsize = int(source.limits.max_response_mb * 1024 * 1024)
    return {
        "DOWNLOAD_DELAY": source.delay,
        "AUTOTHROTTLE_ENABLED": source.delay > 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrency,
        "DOWNLOAD_MAXSIZE": maxsize,
        "DOWNLOAD_WARNSIZE": maxsize // 4,
    }


async def crawl_source(
    source: HttpSource,
    sink: PostsSink | None,
    *,
    salt: str,
    timezone: str,
    settings_overrides: Mapping[str, Any] | None = None,
    keywords: Sequence[str] = (),
    shared: SharedFrontier | None = None,
) -> CrawlResult:
    """Crawl ``source`` once, handing its posts to ``sink`` in batches (``crawlers.batches``);
    must run on the reactor's loop.

    Download and parse failures do not raise: they are counted in the result, with the last one
    as a sentence for the operator. Bad configuration (an unknown source type) does raise.
    With ``shared``, the crawl is shared with other daemons through Redis (``SharedFrontier``).
    """
    spidercls, kwargs = spider_for(source, keywords)
    now = time.time()
    frontier = shared.settings(source, now) if shared is not None else {}
    overrides = {**politeness(source), **frontier, **(settings_overrides or {})}
    # Times the site prints without a zone are in the source's own zone, else the config's.
    zone = source.timezone or timezone
    runner = AsyncCrawlerRunner(crawl_settings(sink, salt=salt, timezone=zone, overrides=overrides))
    crawler = runner.create_crawler(spidercls)
    returned = asyncio.get_running_loop().create_future()
    running = _Crawl(crawler, runner.crawl(crawler, **kwargs), returned)
    _RUNNING.add(running)
    try:
        try:
            # shield: if the daemon cancels us, stop the crawl cleanly rather than abandoning an
            # engine half-way, which would leave connections and timers behind.
            await asyncio.shield(running.task)
        except asyncio.CancelledError:
            await running.stop()
            await asyncio.wait([running.task])
            raise
    finally:
        _RUNNING.discard(running)
        if not returned.done():  # cancelled if stop_all_crawls was itself cancelled
            returned.set_result(None)
        if shared is not None:
            shared.expire(source, now)
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
    running = list(_RUNNING)
    if not running:
        return
    await asyncio.gather(*(crawl.stop() for crawl in running))
    await asyncio.gather(*(crawl.returned for crawl in running))
