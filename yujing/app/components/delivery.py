"""Delivering: send what the outbox holds, now and then and right after new alerts
(``alerts_raised``)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .. import signals
from . import Component, Reload

__all__ = ["Delivery"]

log = logging.getLogger("yujing.daemon")

EVERY = 5.0


class Delivery(Component):
    def __init__(self, daemon):
        super().__init__(daemon)
        # One delivery at a time: two would send the same outbox row twice.
        self.lock = asyncio.Lock()
        self._woken: asyncio.Task[None] | None = None

    @classmethod
    def from_daemon(cls, daemon) -> Component:
        part = super().from_daemon(daemon)
        daemon.signals.connect(part.alerts_raised, signal=signals.alerts_raised)
        return part

    def alerts_raised(self, events: list[Any]) -> None:
        self.wake()

    def wake(self) -> None:
        """Deliver soon, without making the caller wait: a collector that just brought posts
        must not stall behind a slow chat service (its next run would be late)."""
        if self._woken is not None and not self._woken.done():
            return  # a delivery is already coming; it will take the new rows too
        try:
            self._woken = asyncio.get_running_loop().create_task(self.deliver())
        except RuntimeError:  # no loop: the periodic job delivers
            self._woken = None

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self.every(scheduler, "deliver", EVERY, self.deliver)

    async def deliver(self) -> None:
        async with self.lock:
            notifier = self.daemon.pipeline.notifier
            await notifier.share_silences()  # a peer's new silence mutes before this round
            report = await notifier.deliver_due_async()
        self.daemon.metrics.delivery(report.sent, report.failed)
        if report.failed:
            # Each failed send is logged by the notifier, once per failure; this is the sum.
            log.debug("alert delivery: %d sent, %d failed (will retry)", report.sent, report.failed)

    def reload(self, change: Reload) -> None:
        self._close_when_idle(change.old_pipeline.notifier)

    def _close_when_idle(self, notifier: Any) -> None:
        """Close a replaced notifier once no delivery is using its connections."""

        async def close_after_delivery() -> None:
            async with self.lock:
                notifier.close()

        try:
            asyncio.get_running_loop().create_task(close_after_delivery())
        except RuntimeError:  # no loop (reload outside serve): nothing can be delivering
            notifier.close()

    async def stop(self) -> None:
        # A delivery in flight finishes first (the lock): cancelling it would leave its send
        # running in a worker thread, and this last delivery would send the same message again.
        if self._woken is not None:
            await asyncio.wait([self._woken])
        await self.deliver()
        self.daemon.pipeline.notifier.close()
