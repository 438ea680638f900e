"""Reports on a schedule (``reports:`` in the config): each written once when it falls due.

Every minute each schedule's latest due time (``reports.schedule.latest_slot``, in the config's
zone) is compared with the one the store says was last written for it; a newer one is written
(yesterday's 日报, or the week's 周报) to the schedule's folder and then recorded, so a restart
neither writes it again nor, after downtime over the hour, forgets the latest one it missed.
The report reads the store through a connection of its own in a worker thread: collection and
detection go on meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.config import Config, ReportSchedule
from yujing.records import utcnow
from yujing.store import Store

from ..reports.charts import NoCjkFont
from ..reports.period import Period
from ..reports.query import build_report
from ..reports.schedule import covers, latest_slot
from ..reports.write import Written, write_built
from . import Component

__all__ = ["Reports"]

log = logging.getLogger("yujing.daemon")

EVERY = 60.0


def _write(path: Path, config: Config, schedule: ReportSchedule, slot: datetime) -> Written | None:
    """The report due at ``slot``, written; None when it is empty and may be skipped."""
    store = Store(path, readonly=True)
    try:
        period = Period.of(schedule.kind, covers(slot), config.tz)
        report = build_report(store, config, period, schedule.product)
    finally:
        store.close()
    if schedule.skip_empty and report.empty:
        return None
    return write_built(report, schedule.out)


class Reports(Component):
    """Idle while the config schedules no report; a reload may add some."""

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self.every(scheduler, "reports", EVERY, self.check)

    async def check(self, now: datetime | None = None) -> list[Written]:
        """Write every report that fell due and was not written yet; what was written."""
        config, store = self.daemon.config, self.daemon.store
        written = []
        for schedule in config.reports:
            slot = latest_slot(schedule, now or utcnow(), config.tz)
            if store.state.get(schedule.key) == slot.isoformat():
                continue
            try:
                report = await asyncio.to_thread(_write, store.path, config, schedule, slot)
            except (OSError, ValueError, NoCjkFont) as exc:
                # Said once per try (every minute until it works): the folder, the font.
                log.error("report %s due at %s: %s", schedule.kind, slot.isoformat(), exc)
                continue
            store.state.set(schedule.key, slot.isoformat())
            if report is None:
                log.info("report %s %s: nothing to tell, skipped", schedule.kind, covers(slot))
                continue
            log.info("report %s %s written: %s", schedule.kind, covers(slot), report.pdf)
            written.append(report)
        return written
