"""The daemon: one process, one event loop, shared by Scrapy and the scheduler.

Scrapy runs on Twisted's asyncio reactor; APScheduler's AsyncIOScheduler runs on that reactor's
loop; each source is a job that awaits one crawl. So spiders run in-process, again and again,
without restarting the reactor.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from yujing.alerts import AlertEvent
from yujing.config import Config, ConfigError, TranscriptSource, load_config
from yujing.records import utcnow
from yujing.store import Store

from .pipeline import Pipeline

__all__ = ["Daemon", "SourceReport", "install_asyncio_reactor", "run_in_reactor"]

log = logging.getLogger("yujing.daemon")

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def install_asyncio_reactor() -> None:
    """Install Twisted's asyncio reactor once per process (before anything imports the reactor)."""
    from scrapy.utils.reactor import (
        install_reactor,
        is_asyncio_reactor_installed,
        is_reactor_installed,
    )

    if is_reactor_installed():
        if not is_asyncio_reactor_installed():
            raise RuntimeError("a non-asyncio Twisted reactor is already installed")
        return
    install_reactor(REACTOR)


def run_in_reactor(main: Callable[[], Any]) -> Any:
    """Run the coroutine ``main()`` on the asyncio reactor's loop until it finishes."""
    install_asyncio_reactor()
    from twisted.internet import reactor

    outcome: dict[str, Any] = {}

    async def wrapper() -> None:
        try:
            outcome["value"] = await main()
        except BaseException as exc:  # handed back to the caller below
            outcome["error"] = exc
        finally:
            reactor.stop()

    reactor.callWhenRunning(lambda: asyncio.ensure_future(wrapper()))
    reactor.run(installSignalHandlers=False)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@dataclass(frozen=True)
class SourceReport:
    source: str
    items: int
    accepted: int
    errors: int
    last_error: str | None


class Daemon:
    """Schedules collectors, runs the pipeline, delivers alerts; reloads its config on change."""

    def __init__(
        self,
        config_path: str | Path,
        *,
        on_alert: Callable[[AlertEvent], None] | None = None,
        on_source: Callable[[SourceReport], None] | None = None,
        scrapy_log_level: str = "WARNING",
    ):
        self.config_path = Path(config_path)
        self.config: Config = load_config(self.config_path)
        self.store = Store(self.config.storage.path)
        self.on_alert = on_alert
        self.on_source = on_source
        self.scrapy_log_level = scrapy_log_level
        self.pipeline = self._build_pipeline(self.config)
        self.indexer = self._build_indexer(self.config)
        self.scheduler: AsyncIOScheduler | None = None
        self._stopping: asyncio.Event | None = None
        self._config_stamp = self._stamp()
        self._inboxes: dict[str, Any] = {}
        self._active: set[asyncio.Task[Any]] = set()  # source runs in progress
        # Every job runs on the loop's thread (all are coroutines), so the store is only ever
        # used from one thread; the locks keep two evaluations (or deliveries) from interleaving
        # at an await and firing or sending the same thing twice.
        self._detect_lock = asyncio.Lock()
        self._deliver_lock = asyncio.Lock()

    # ------------------------------------------------------------ wiring

    def _build_pipeline(self, config: Config, previous: Pipeline | None = None) -> Pipeline:
        keep = previous is not None and previous.detector_fits(config)
        return Pipeline(
            config,
            self.store,
            detector=previous.detector if keep else None,
            on_alert=self.on_alert,
        )

    def _build_indexer(self, config: Config) -> Any:
        if config.elasticsearch is None:
            return None
        from yujing.notifier.elastic import PostIndexer, make_client

        # The indexer installs the index templates itself before its first write, from a
        # worker thread: a cluster that is still starting never blocks the daemon.
        client = make_client(config.elasticsearch)
        return PostIndexer(client, self.store, config.elasticsearch.index_prefix)

    def _stamp(self) -> tuple[tuple[str, float], ...]:
        files = [self.config_path, *(self.config_path.parent / i for i in self.config.include)]
        out = []
        for f in files:
            try:
                out.append((str(f), f.stat().st_mtime))
            except OSError:
                out.append((str(f), 0.0))
        return tuple(out)

    # ------------------------------------------------------------ jobs

    async def run_source(self, name: str) -> SourceReport | None:
        source = next((s for s in self.config.sources if s.name == name), None)
        if source is None:
            return None
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
            task.add_done_callback(self._active.discard)
        run_id = self.store.runs.start(name)
        try:
            if isinstance(source, TranscriptSource):
                report = self._collect_inbox(source)
            else:
                from yujing.crawlers.run import crawl_source

                result = await crawl_source(
                    source,
                    self.pipeline.accept,
                    salt=self.config.privacy.salt,
                    timezone=self.config.timezone,
                    settings_overrides={
                        "LOG_LEVEL": self.scrapy_log_level,
                        "YUJING_KNOWN_URL": self._known_url(source.name),
                    },
                )
                report = SourceReport(
                    name, result.items, result.accepted, result.errors, result.last_error
                )
                if result.finished_reason == "shutdown":
                    self.store.runs.finish(
                        run_id,
                        report.items,
                        report.accepted,
                        0,
                        "interrupted by shutdown",
                        complete=False,
                    )
                    return report
        except asyncio.CancelledError:
            self.store.runs.finish(run_id, 0, 0, 0, "interrupted by shutdown", complete=False)
            raise
        except Exception as exc:
            log.exception("source %s failed", name)
            report = SourceReport(name, 0, 0, 1, f"{type(exc).__name__}: {exc}")
        self.store.runs.finish(
            run_id, report.items, report.accepted, report.errors, report.last_error
        )
        if report.last_error:
            log.warning("source %s: %s", name, report.last_error)
        log.info("source %s: %d items, %d new", name, report.items, report.accepted)
        if self.on_source is not None:
            self.on_source(report)
        if report.accepted:
            await self.detect()
        return report

    def _known_url(self, source: str) -> Callable[[str], bool]:
        from yujing.records import post_id

        # Forum posts are identified by their URL (see crawlers.spiders.forum).
        return lambda url: self.store.posts.has(post_id(source, url))

    def _collect_inbox(self, source: TranscriptSource) -> SourceReport:
        from yujing.crawlers.inbox import InboxSinkError

        problems: list[str] = []
        try:
            result = self._inbox(source).process(self.pipeline.accept)
        except InboxSinkError as exc:
            # Files whose posts could not be stored stay in the inbox and are retried next run.
            result = exc.result
            problems += [f"{file}: {err}" for file, err in exc.failed]
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
            inbox = TranscriptInbox(
                source, salt=self.config.privacy.salt, timezone=self.config.timezone
            )
            self._inboxes[source.name] = inbox
        return inbox

    async def detect(self, all_products: bool = False) -> list[AlertEvent]:
        async with self._detect_lock:
            events = self.pipeline.detect(utcnow(), all_products=all_products)
        if events:
            await self.deliver()
        return events

    async def deliver(self) -> None:
        async with self._deliver_lock:
            report = await self.pipeline.notifier.deliver_due_async()
        if report.failed:
            log.warning(
                "alert delivery: %d sent, %d failed (will retry)", report.sent, report.failed
            )

    async def index_posts(self, max_batches: int = 20) -> None:
        """Copy new posts to Elasticsearch, a bounded number of batches per run."""
        if self.indexer is None:
            return
        try:
            for _ in range(max_batches):
                if await self.indexer.index_pending_async() == 0:
                    break
        except Exception as exc:
            log.warning("indexing posts into Elasticsearch failed (will retry): %s", exc)

    async def check_config(self) -> None:
        if self._stamp() != self._config_stamp:
            self.reload()

    def reload(self) -> bool:
        """Load the config again; an invalid one is reported and the last good one keeps running."""
        # Taken first, so the file watch does not load the same change again after a SIGHUP.
        self._config_stamp = self._stamp()
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("config reload failed; keeping the last good config:\n%s", exc)
            return False
        if new.storage.path != self.config.storage.path:
            log.warning("storage.path changed; the new path takes effect after a restart")
            new = new.model_copy(update={"storage": self.config.storage})
        old, old_pipeline = self.config, self.pipeline
        # The new detector restores from the store: give it the latest waves and cursor.
        old_pipeline.detector.save_state()
        # Built before anything is switched: if building fails, the old config and pipeline
        # keep running together (and the error is reported by the caller's log).
        pipeline = self._build_pipeline(new, previous=old_pipeline)
        self.config, self.pipeline = new, pipeline
        self._close_when_idle(old_pipeline.notifier)
        if new.elasticsearch != old.elasticsearch:
            if self.indexer is not None:
                self.indexer.client.close()
            self.indexer = self._build_indexer(new)
        self._inboxes.clear()
        if self.scheduler is not None:
            self._schedule_sources(old)
            self._schedule_periodic()
        self._config_stamp = self._stamp()  # includes files the new config includes
        log.info("config reloaded from %s", self.config_path)
        return True

    def _close_when_idle(self, notifier: Any) -> None:
        """Close a replaced notifier once no delivery is using its connections."""

        async def close_after_delivery() -> None:
            async with self._deliver_lock:
                notifier.close()

        try:
            asyncio.get_running_loop().create_task(close_after_delivery())
        except RuntimeError:  # no loop (reload outside serve): nothing can be delivering
            notifier.close()

    # ------------------------------------------------------------ scheduling

    def _schedule_sources(self, previous: Config | None = None) -> None:
        """(Re)schedule the sources; on reload only those whose config changed are touched."""
        assert self.scheduler is not None
        before = {s.name: s for s in previous.sources} if previous else {}
        wanted = {s.name: s for s in self.config.sources if s.enabled}
        for job in self.scheduler.get_jobs():
            name = job.id.removeprefix("source:")
            if job.id.startswith("source:") and wanted.get(name) != before.get(name):
                job.remove()
        for source in wanted.values():
            if previous is not None and before.get(source.name) == source:
                continue  # unchanged: keep its schedule, do not crawl the site again right now
            self.scheduler.add_job(
                self.run_source,
                IntervalTrigger(seconds=source.interval),
                args=[source.name],
                id=f"source:{source.name}",
                name=f"collect {source.name}",
                next_run_time=utcnow(),
                max_instances=1,  # never two runs of one source at once
                coalesce=True,  # runs missed while busy collapse into one
                misfire_grace_time=None,
            )

    def _schedule_periodic(self) -> None:
        assert self.scheduler is not None
        periodic = {
            "detect": (
                self.config.detection.evaluate_every,
                functools.partial(self.detect, all_products=True),
            ),
            "deliver": (5.0, self.deliver),
            "index": (5.0, self.index_posts),
            "config": (2.0, self.check_config),
        }
        for job_id, (seconds, func) in periodic.items():
            self.scheduler.add_job(
                func,
                IntervalTrigger(seconds=seconds),
                id=job_id,
                replace_existing=True,
                max_instances=1,
                coalesce=True,
            )

    async def serve(self, until: asyncio.Event | None = None) -> None:
        """Run until ``until`` is set or SIGTERM/SIGINT arrives; SIGHUP reloads the config."""
        loop = asyncio.get_running_loop()
        self._stopping = until or asyncio.Event()
        self.scheduler = AsyncIOScheduler(event_loop=loop, timezone="UTC")
        self._schedule_sources()
        self._schedule_periodic()
        handlers = {
            signal.SIGTERM: self._stopping.set,
            signal.SIGINT: self._stopping.set,
            signal.SIGHUP: self.reload,
        }
        installed = []
        for sig, handler in handlers.items():
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, handler)
                installed.append(sig)
        self.scheduler.start()
        if self.config.privacy.salt_is_public:
            log.warning(
                "privacy.salt is a published default: complainants' hashed numbers can be "
                "reversed by anyone with this code. Set YUJING_SALT to a long random string "
                "before collecting real data (and keep it)."
            )
        log.info(
            "yujing running: %d sources, %d products, store %s",
            len(self.config.sources),
            len(self.config.products),
            self.config.storage.path,
        )
        try:
            await self._stopping.wait()
        finally:
            await self.shutdown()
            for sig in installed:
                loop.remove_signal_handler(sig)

    async def shutdown(self) -> None:
        """Stop scheduling, stop running crawls, deliver what is due, close the store."""
        from yujing.crawlers.run import stop_all_crawls

        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()
        # Running crawls end with reason "shutdown" and record their run before the loop goes.
        await stop_all_crawls()
        if self._active:
            # Let each source run record what it collected before the store closes.
            await asyncio.wait(set(self._active), timeout=30)
        # A delivery in flight finishes first: cancelling it would leave its send running in a
        # worker thread, and the final delivery below would send the same message again.
        async with self._deliver_lock, self._detect_lock:
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.shutdown(wait=False)
        await self.deliver()
        await self.index_posts()
        self.pipeline.detector.save_state()  # a restart resumes from here instead of re-learning
        self.pipeline.notifier.close()
        if self.indexer is not None:
            self.indexer.client.close()
        self.store.close()
        log.info("yujing stopped; accepted posts are committed")

    def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
