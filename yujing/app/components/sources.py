"""Collecting: each enabled source is a scheduled job that runs one crawl or one inbox pass.

Crawls carry their state in the store: forum crawls are incremental (the entries fetched,
``store.crawled``), feeds are polled with conditional GETs (``store.validators``), and every
complete run counts toward the source's health (``Pipeline.source_ran``), which raises a
source-health alert when a source keeps failing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from yujing.config import Config, FeedSource, TranscriptSource
from yujing.records import Post, post_id, utcnow

from .. import signals
from ..runs import RunBook, RunLog, SourceReport, record_interrupted, record_run
from . import Component, Reload

if TYPE_CHECKING:
    from yujing.crawlers.run import SharedFrontier

__all__ = ["RunLog", "Sources", "SourceReport"]  # the run's record is ``yujing.app.runs``'s

log = logging.getLogger("yujing.daemon")

PREFIX = "source:"


class Sources(Component):
    def __init__(self, daemon: Any):
        super().__init__(daemon)
        self.scheduler: AsyncIOScheduler | None = None
        self._inboxes: dict[str, Any] = {}
        self._active: set[asyncio.Task[Any]] = set()  # source runs in progress
        self._told = RunLog()
        self._sinks: set[_LoopSink] = set()  # inbox passes in progress, in worker threads

    # ------------------------------------------------------------ scheduling

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self.scheduler = scheduler
        self._schedule(self.daemon.config)

    def reload(self, change: Reload) -> None:
        self._inboxes.clear()
        if self.scheduler is not None:
            self._schedule(change.new_config, previous=change.old_config)

    def _schedule(self, config: Config, previous: Config | None = None) -> None:
        """(Re)schedule the sources; on reload only those whose config changed are touched."""
        assert self.scheduler is not None
        before = {s.name: s for s in previous.sources} if previous else {}
        # A transcripts source without a folder is fed by POST /ingest only: nothing to poll.
        wanted = {
            s.name: s
            for s in config.sources
            if s.enabled and not (isinstance(s, TranscriptSource) and s.path is None)
        }
        for job in self.scheduler.get_jobs():
            name = job.id.removeprefix(PREFIX)
            if job.id.startswith(PREFIX) and wanted.get(name) != before.get(name):
                job.remove()
        for source in wanted.values():
            if previous is not None and before.get(source.name) == source:
                continue  # unchanged: keep its schedule, do not crawl the site again right now
            self.scheduler.add_job(
                self.run_source,
                IntervalTrigger(seconds=source.interval),
                args=[source.name],
                id=f"{PREFIX}{source.name}",
                name=f"collect {source.name}",
                next_run_time=utcnow(),
                max_instances=1,  # never two runs of one source at once
                coalesce=True,  # runs missed while busy collapse into one
                misfire_grace_time=None,
            )

    async def stop(self) -> None:
        from yujing.crawlers.run import stop_all_crawls

        # Running crawls end with reason "shutdown" and record their run before the loop goes.
        await stop_all_crawls()
        for sink in self._sinks:
            sink.closed = True  # an inbox pass stores nothing more; its files stay for later
        if self._active:
            # Let each source run record what it collected before the store closes.
            await asyncio.wait(set(self._active), timeout=30)

    # ------------------------------------------------------------ one run

    async def run_source(self, name: str) -> SourceReport | None:
        daemon = self.daemon
        source = next((s for s in daemon.config.sources if s.name == name), None)
        if source is None:
            return None
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
            task.add_done_callback(self._active.discard)
        run_id = daemon.store.runs.start(name)
        started = time.monotonic()
        crash: Exception | None = None
        try:
            if isinstance(source, TranscriptSource):
                report = await self._collect_inbox(source)
            else:
                report, interrupted = await self._crawl(source)
                if interrupted:  # a partial run says nothing about the source's health
                    record_interrupted(RunBook.of_daemon(daemon, self._told), run_id, report)
                    return report
        except asyncio.CancelledError:
            empty = SourceReport(name, 0, 0, 0, None)
            record_interrupted(RunBook.of_daemon(daemon, self._told), run_id, empty)
            raise
        except Exception as exc:
            crash = exc
            report = SourceReport(name, 0, 0, 1, f"{type(exc).__name__}: {exc}", "other")
        report = record_run(
            RunBook.of_daemon(daemon, self._told),
            source,
            report,
            run_id=run_id,
            seconds=time.monotonic() - started,
            crash=crash,
        )
        if report.accepted:
            await daemon.signals.send_catch_log_async(
                signals.posts_accepted, source=name, count=report.accepted
            )
        return report

    async def _crawl(self, source: Any) -> tuple[SourceReport, bool]:
        """One crawl; True when it was cut short by a shutdown."""
        from yujing.crawlers.incremental import StoredMemory
        from yujing.crawlers.run import crawl_source

        daemon = self.daemon
        store = daemon.store
        feed = isinstance(source, FeedSource)
        result = await crawl_source(
            source,
            daemon.pipeline.accept,
            salt=daemon.config.privacy.salt,
            timezone=daemon.config.timezone,  # the source's own zone, when set, comes first
            settings_overrides={
                "LOG_LEVEL": daemon.scrapy_log_level,
                "YUJING_KNOWN_URL": self._known_url(source.name),
                "YUJING_CRAWL_MEMORY": StoredMemory(store.crawled, source.name),
                "YUJING_FEED_VALIDATORS": store.validators.get(source.name) if feed else None,
            },
            # A keyword source searches every product's name and aliases.
            keywords=[t for p in daemon.config.products for t in (p.name, *p.aliases)],
            shared=self._frontier(source),
        )
        if feed and result.ok and result.validators is not None:
            # Only once every entry is stored: a 304 next time must not skip a lost one.
            store.validators.set(source.name, result.validators)
        report = SourceReport(
            source.name,
            result.items,
            result.accepted,
            result.errors,
            result.last_error,
            result.problem,
        )
        return report, result.finished_reason == "shutdown"

    def _frontier(self, source: Any) -> SharedFrontier | None:
        """Where a ``shared: true`` source's crawl is shared with the other daemons."""
        from yujing.crawlers.run import SharedFrontier

        redis = self.daemon.config.redis
        if not source.shared or redis is None:
            return None
        return SharedFrontier(redis.url, redis.key_prefix)

    def _known_url(self, source: str) -> Callable[[str], bool]:
        """Whether the post a native id names is stored: spiders skip it instead of fetching
        or parsing it again. The native id is what the post id is made from: a forum thread's
        URL, a feed entry's guid (else its link). A post linked to a stored one as its copy on
        another channel is known too."""
        store = self.daemon.store
        return lambda native_id: store.posts.has(post_id(source, native_id))

    async def _collect_inbox(self, source: TranscriptSource) -> SourceReport:
        """One pass over the inbox, off the event loop: reading, decoding and parsing files
        (of any size) happen in a worker thread, so crawls, deliveries and signals go on
        meanwhile; only storing, a batch at a time, comes back to the loop, which owns the
        store and the pipeline."""
        from yujing.crawlers.inbox import InboxSinkError

        problems: list[str] = []
        problem: str | None = None
        sink = _LoopSink(self.daemon, asyncio.get_running_loop())
        self._sinks.add(sink)
        try:
            result = await asyncio.to_thread(self._inbox(source).process, sink)
        except InboxSinkError as exc:
            # Files whose posts could not be stored stay in the inbox and are retried next run.
            result = exc.result
            problems += [f"{file}: {err}" for file, err in exc.failed]
            problem = "store"
        finally:
            self._sinks.discard(sink)
        problems += [reason for _, reason in result.quarantined]
        if result.quarantined and problem is None:
            problem = "quarantined"
        return SourceReport(
            source.name,
            items=result.posts,
            accepted=result.accepted,
            errors=len(problems),
            last_error="; ".join(problems) or None,
            problem=problem,
        )

    def _inbox(self, source: TranscriptSource) -> Any:
        from yujing.crawlers.inbox import TranscriptInbox

        inbox = self._inboxes.get(source.name)
        if inbox is None or inbox.source != source:
            config = self.daemon.config
            inbox = TranscriptInbox(source, salt=config.privacy.salt, timezone=config.timezone)
            self._inboxes[source.name] = inbox
        return inbox


class _LoopSink:
    """The inbox's sink, called from its worker thread: each batch is stored on the daemon's
    loop (the store's connection and the copy index belong to it), and the thread waits until
    the batch is committed, so a file is moved to done only after all its posts are."""

    def __init__(self, daemon: Any, loop: asyncio.AbstractEventLoop):
        self.daemon = daemon
        self.loop = loop
        self.closed = False

    def accept_many(self, batch: list[Post]) -> list[bool]:
        if self.closed:
            raise RuntimeError("the daemon is stopping; the file is kept for the next run")
        return asyncio.run_coroutine_threadsafe(self._store(batch), self.loop).result()

    async def _store(self, batch: list[Post]) -> list[bool]:
        # The pipeline of the moment: a reload may have replaced it since the pass began.
        return self.daemon.pipeline.accept_many(batch)
