"""Collecting: each enabled source is a scheduled job that runs its collector once.

A source's collector is found by the type of its config model (``yujing.crawlers.collect``'s
``COLLECTORS``): a crawl for a forum, a feed, a sitemap or an API, a pass over the folder for a
transcripts inbox. A crawl's posts come in batches (``accept_crawled``), understood in worker
processes where the machine has more than one CPU (``yujing.app.understanding``), each batch
committed on the event loop. Every run is recorded (``yujing.app.runs.record_run``: ``yujing
status``, ``/metrics``, the source's health), and one that brought new posts is told as
``posts_accepted``, so they are evaluated at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from yujing.config import Config
from yujing.crawlers.collect import CollectContext, Collector, collector_class
from yujing.records import Post, utcnow

from .. import signals
from ..runs import RunBook, RunLog, SourceReport, record_interrupted, record_run
from ..understanding import Understanding
from . import Component, Reload

__all__ = ["RunLog", "Sources", "SourceReport"]  # the run's record is ``yujing.app.runs``'s

log = logging.getLogger("yujing.daemon")

PREFIX = "source:"


class Sources(Component):
    def __init__(self, daemon: Any):
        super().__init__(daemon)
        self.scheduler: AsyncIOScheduler | None = None
        self.collectors: dict[type[Collector], Collector] = {}  # built at their first run
        self._active: set[asyncio.Task[Any]] = set()  # source runs in progress
        self._retiring: set[asyncio.Future[None]] = set()  # earlier configs' workers stopping
        self._told = RunLog()
        # Workers start once crawls have brought a batch; none with one CPU.
        self.understanding = Understanding(daemon.config)

    # ------------------------------------------------------------ scheduling

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self.scheduler = scheduler
        self._schedule(self.daemon.config)

    def reload(self, change: Reload) -> None:
        if change.new_config != change.old_config:  # understanding depends on the config
            old, self.understanding = self.understanding, Understanding(change.new_config)
            self._retire(old)
        if self.scheduler is not None:
            self._schedule(change.new_config, previous=change.old_config)

    def _schedule(self, config: Config, previous: Config | None = None) -> None:
        """(Re)schedule the sources; on reload only those whose config changed are touched."""
        assert self.scheduler is not None
        before = {s.name: s for s in previous.sources} if previous else {}
        # A source fed only from outside (POST /ingest) has nothing to poll.
        wanted = {s.name: s for s in config.sources if s.enabled and s.polled}
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
        # Running crawls end with reason "shutdown" and inbox passes store nothing more; each
        # run then records what it collected before the store closes.
        await asyncio.gather(*(c.stop() for c in self.collectors.values()))
        if self._active:
            await asyncio.wait(set(self._active), timeout=30)
        if self._retiring:
            await asyncio.wait(set(self._retiring))
        await asyncio.to_thread(self.understanding.close)

    def _retire(self, old: Understanding) -> None:
        """Stop the workers of an earlier config off the loop: each is given seconds to exit, and
        HTTP, crawls and detection go on meanwhile."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # reloaded outside the daemon's loop (a test, a tool)
            old.close()
            return
        done = loop.run_in_executor(None, old.close)
        self._retiring.add(done)
        done.add_done_callback(self._retiring.discard)

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
            report = await self.collector(type(source)).collect(source, self.context())
            if report.interrupted:  # a partial run says nothing about the source's health
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

    def collector(self, model: type) -> Collector:
        """The collector of sources configured by ``model``, built at its first run."""
        cls = collector_class(model)
        if cls not in self.collectors:
            self.collectors[cls] = cls()
        return self.collectors[cls]

    async def accept_crawled(self, batch: list[Post]) -> list[bool]:
        """A crawl's batch, understood by a worker where there is one, committed here."""
        understood, sketches = await self.understanding.new_of(self.daemon.store, batch)
        # The pipeline of the moment: a reload may have replaced it meanwhile.
        return self.daemon.pipeline.accept_many(batch, understood, sketches)

    def context(self) -> CollectContext:
        """What a run is given: the store, and the intake and config of the moment."""
        daemon = self.daemon
        config = daemon.config
        return CollectContext(
            store=daemon.store,
            # Looked up at each call: a reload may replace the pipeline while a run goes on.
            accept=lambda post: daemon.pipeline.accept(post),
            accept_many=lambda batch: daemon.pipeline.accept_many(batch),
            accept_crawled=self.accept_crawled,
            salt=config.privacy.salt,
            timezone=config.timezone,
            # A keyword source searches every product's name and aliases.
            keywords=[t for p in config.products for t in (p.name, *p.aliases)],
            redis=config.redis,
            scrapy_log_level=daemon.scrapy_log_level,
        )
