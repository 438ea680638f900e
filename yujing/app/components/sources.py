"""Collecting: each enabled source is a scheduled job that runs one crawl or one inbox pass."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from yujing.config import Config, TranscriptSource
from yujing.records import Post, post_id, utcnow

from . import Component, Reload

__all__ = ["Sources", "SourceReport"]

log = logging.getLogger("yujing.daemon")

PREFIX = "source:"


@dataclass(frozen=True)
class SourceReport:
    source: str
    items: int
    accepted: int
    errors: int
    last_error: str | None


class Sources(Component):
    def __init__(self, daemon: Any):
        super().__init__(daemon)
        self.scheduler: AsyncIOScheduler | None = None
        self._inboxes: dict[str, Any] = {}
        self._active: set[asyncio.Task[Any]] = set()  # source runs in progress
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
        wanted = {s.name: s for s in config.sources if s.enabled}
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
        runs = daemon.store.runs
        run_id = runs.start(name)
        try:
            if isinstance(source, TranscriptSource):
                report = await self._collect_inbox(source)
            else:
                report, interrupted = await self._crawl(source)
                if interrupted:  # a partial run says nothing about the source's health
                    runs.finish(
                        run_id,
                        report.items,
                        report.accepted,
                        0,
                        "interrupted by shutdown",
                        complete=False,
                    )
                    return report
        except asyncio.CancelledError:
            runs.finish(run_id, 0, 0, 0, "interrupted by shutdown", complete=False)
            raise
        except Exception as exc:
            log.exception("source %s failed", name)
            report = SourceReport(name, 0, 0, 1, f"{type(exc).__name__}: {exc}")
        runs.finish(run_id, report.items, report.accepted, report.errors, report.last_error)
        if report.last_error:
            log.warning("source %s: %s", name, report.last_error)
        log.info("source %s: %d items, %d new", name, report.items, report.accepted)
        if daemon.on_source is not None:
            daemon.on_source(report)
        if report.accepted:
            from .detection import Detection

            await daemon.get(Detection).detect()
        return report

    async def _crawl(self, source: Any) -> tuple[SourceReport, bool]:
        """One crawl; True when it was cut short by a shutdown."""
        from yujing.crawlers.run import crawl_source

        daemon = self.daemon
        result = await crawl_source(
            source,
            daemon.pipeline.accept,
            salt=daemon.config.privacy.salt,
            timezone=daemon.config.timezone,
            settings_overrides={
                "LOG_LEVEL": daemon.scrapy_log_level,
                "YUJING_KNOWN_URL": self._known_url(source.name),
            },
            # A keyword source searches every product's name and aliases.
            keywords=[t for p in daemon.config.products for t in (p.name, *p.aliases)],
        )
        report = SourceReport(
            source.name, result.items, result.accepted, result.errors, result.last_error
        )
        return report, result.finished_reason == "shutdown"

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
        sink = _LoopSink(self.daemon, asyncio.get_running_loop())
        self._sinks.add(sink)
        try:
            result = await asyncio.to_thread(self._inbox(source).process, sink)
        except InboxSinkError as exc:
            # Files whose posts could not be stored stay in the inbox and are retried next run.
            result = exc.result
            problems += [f"{file}: {err}" for file, err in exc.failed]
        finally:
            self._sinks.discard(sink)
        problems += [reason for _, reason in result.quarantined]
        return SourceReport(
            source.name,
            items=result.posts,
            accepted=result.accepted,
            errors=len(problems),
            last_error="; ".join(problems) or None,
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
