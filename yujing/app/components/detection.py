"""Detecting: evaluate every rule now and then, and right after a source brought new posts
(``posts_accepted``); what it raises is told as ``alerts_raised``."""

from __future__ import annotations

import asyncio
import functools

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.alerts import AlertEvent
from yujing.records import utcnow

from .. import signals
from . import Component, Reload

__all__ = ["Detection"]


class Detection(Component):
    def __init__(self, daemon):
        super().__init__(daemon)
        # Jobs run on the loop's thread, so the store is used from one thread; the lock keeps
        # two evaluations from interleaving at an await and firing the same wave twice.
        self.lock = asyncio.Lock()
        self.scheduler: AsyncIOScheduler | None = None

    @classmethod
    def from_daemon(cls, daemon) -> Component:
        part = super().from_daemon(daemon)
        daemon.signals.connect(part.posts_accepted, signal=signals.posts_accepted)
        return part

    async def posts_accepted(self, source: str, count: int) -> None:
        """New posts are evaluated as soon as they are committed, not at the next tick."""
        await self.detect()

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self.scheduler = scheduler
        self._schedule()

    def _schedule(self) -> None:
        assert self.scheduler is not None
        every = self.daemon.config.detection.evaluate_every
        self.every(self.scheduler, "detect", every, functools.partial(self.detect, True))

    def reload(self, change: Reload) -> None:
        # The new detector restores from the store: it was given the old one's latest state
        # before the switch (see Daemon.reload); only the schedule may have changed.
        if self.scheduler is not None:
            self._schedule()

    async def detect(self, all_products: bool = False) -> list[AlertEvent]:
        async with self.lock:
            events = self.daemon.pipeline.detect(utcnow(), all_products=all_products)
        if events:
            self.daemon.signals.send_catch_log(signals.alerts_raised, events=events)
        return events

    async def stop(self) -> None:
        async with self.lock:  # an evaluation in flight commits first
            self.daemon.pipeline.save_state()  # a restart resumes from here
