"""The daemon: one process, one event loop, shared by Scrapy and the scheduler.

Scrapy runs on Twisted's asyncio reactor; APScheduler's AsyncIOScheduler runs on that reactor's
loop. The daemon holds the config, the store and the pipeline (the stages in order) and wires
its parts (``components``: sources, detection, delivery, indexing, config watch): it starts them,
tells them of a reload (its signals, ``yujing.app.signals``) and stops them. What each part does
lives in its own module; the parts hear of each other's work through ``daemon.signals``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.alerts import AlertEvent
from yujing.config import Config, ConfigError, load_config
from yujing.store import Store

from . import signals
from .components import Component, Reload, build_components
from .lock import StoreLock
from .metrics import Metrics
from .pipeline import Pipeline
from .reactor import install_asyncio_reactor, run_in_reactor
from .runs import SourceReport

__all__ = ["Daemon", "SourceReport", "install_asyncio_reactor", "run_in_reactor"]

log = logging.getLogger("yujing.daemon")

STOP_REPORT_EVERY = 10.0  # seconds between "still waiting for ..." lines while stopping

C = TypeVar("C")


class Daemon:
    """Schedules collectors, runs the pipeline, delivers alerts; reloads its config on change."""

    def __init__(
        self,
        config_path: str | Path,
        *,
        on_alert: Callable[[AlertEvent], None] | None = None,
        on_source: Callable[[SourceReport], None] | None = None,
        scrapy_log_level: str = "WARNING",
        components: list[str | type[Component]] | None = None,
    ):
        self.config_path = Path(config_path)
        self.config: Config = load_config(self.config_path)
        self.lock = StoreLock(self.config.storage.path)
        self.lock.acquire()  # before the store is opened: a second daemon changes nothing
        try:
            self.store = Store(self.config.storage.path)
        except BaseException:
            self.lock.release()
            raise
        self.on_alert = on_alert
        self.on_source = on_source
        self.metrics = Metrics()  # before the parts, which report to it
        self.signals = signals.SignalManager()  # before the parts, which connect to it
        if on_source is not None:
            self.signals.connect(lambda report: on_source(report), signal=signals.source_ran)
        self.scrapy_log_level = scrapy_log_level
        self.pipeline = self._build_pipeline(self.config)
        self.scheduler: AsyncIOScheduler | None = None
        self._stopping: asyncio.Event | None = None
        self._forced = asyncio.Event()  # asked to stop again while stopping: do not wait
        self._shutting_down = False
        self.components = build_components(self, components)

    def get(self, kind: type[C]) -> C:
        """The running component of this class (``RouteTable``: the HTTP server's routes)."""
        for c in self.components:
            if isinstance(c, kind):
                return c
        raise LookupError(f"no {kind.__name__} component in this daemon")

    def _build_pipeline(self, config: Config, previous: Pipeline | None = None) -> Pipeline:
        # A detector whose learned state still fits the config is handed over, not relearned.
        keep = previous is not None and previous.detector_fits(config)
        return Pipeline(
            config,
            self.store,
            detector=previous.detector if keep else None,
            on_alert=self._alerted,
            identity=previous.identity if previous is not None else None,
        )

    def _alerted(self, event: AlertEvent) -> None:
        self.metrics.alert(event)
        if self.on_alert is not None:
            self.on_alert(event)

    @property
    def stopping(self) -> bool:
        """Shutdown has begun: the parts are stopping or stopped."""
        return self._shutting_down

    # ------------------------------------------------------------ reload

    def reload(self) -> bool:
        """Load the config again; an invalid one is reported and the last good one keeps running."""
        if self._shutting_down:
            # The parts are stopping (or stopped): a new pipeline built now would never be closed.
            log.info("config reload skipped: yujing is stopping")
            return False
        self.signals.send(signals.config_reloading)
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
        old_pipeline.save_state()
        # Built before anything is switched: if building fails, the old config and pipeline
        # keep running together (and the error is reported by the caller's log).
        pipeline = self._build_pipeline(new, previous=old_pipeline)
        self.config, self.pipeline = new, pipeline
        change = Reload(old, new, old_pipeline, pipeline)
        self.signals.send(signals.config_reloaded, change=change)
        log.info("config reloaded from %s", self.config_path)
        return True

    # ------------------------------------------------------------ running

    async def serve(self, until: asyncio.Event | None = None) -> None:
        """Run until ``until`` is set or SIGTERM/SIGINT arrives; SIGHUP reloads the config."""
        loop = asyncio.get_running_loop()
        self._stopping = until or asyncio.Event()
        self._forced = asyncio.Event()
        self.scheduler = AsyncIOScheduler(event_loop=loop, timezone="UTC")
        for c in self.components:
            c.start(self.scheduler)
        handlers = {
            signal.SIGTERM: self.stop,
            signal.SIGINT: self.stop,
            signal.SIGHUP: self.reload,
        }
        installed = []
        for sig, handler in handlers.items():
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, handler)
                installed.append(sig)
        self.scheduler.start()
        self._announce()
        try:
            await self._stopping.wait()
        finally:
            await self.shutdown()
            for sig in installed:
                loop.remove_signal_handler(sig)

    def _announce(self) -> None:
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

    async def shutdown(self) -> None:
        """Stop scheduling, stop each part in order (collectors first), close the store."""
        self._shutting_down = True
        self.signals.send_catch_log(signals.stopping)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()  # no new runs; the ones in flight finish in their stop()
        for c in self.components:
            try:
                await self._stop_part(c)
            except Exception:  # one part failing to stop must not keep the store open
                log.exception("stopping %s failed", type(c).__name__)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.store.close()
        self.lock.release()
        log.info("yujing stopped; accepted posts are committed")

    async def _stop_part(self, part: Component) -> None:
        """``part.stop()``, said while it takes long, and cut short by a second stop request.

        What a part finishes on stopping (a crawl recording its run, a last delivery, the
        detector's state) saves work, never accepted posts: those are committed as they come.
        So an operator who will not wait may stop at once, and is told they can; a message
        being sent then may be sent again at the next start (it was not marked sent).
        """
        name = type(part).__name__
        stopping = asyncio.ensure_future(part.stop())
        forced = asyncio.ensure_future(self._forced.wait())
        started = time.monotonic()
        try:
            while True:
                await asyncio.wait(
                    {stopping, forced},
                    timeout=STOP_REPORT_EVERY,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if stopping.done():
                    return stopping.result()
                if forced.done():
                    stopping.cancel()
                    with contextlib.suppress(BaseException):
                        await stopping
                    log.warning("stopped without waiting for %s to finish", name)
                    return None
                log.warning(
                    "stopping: still waiting for %s after %.0f s; SIGTERM (Ctrl-C) again "
                    "stops at once (accepted posts are committed already)",
                    name,
                    time.monotonic() - started,
                )
        finally:
            forced.cancel()

    def close(self) -> None:
        """Release the store and its lock without serving (``shutdown`` does this after ``serve``)."""
        self.store.close()
        self.lock.release()

    def stop(self) -> None:
        """Begin a graceful stop; asked again while stopping, stop without waiting."""
        if self._stopping is None:
            return
        if self._stopping.is_set():
            if not self._forced.is_set():
                log.warning("stop asked again: stopping without waiting for the parts to finish")
            self._forced.set()
        self._stopping.set()
