"""Reports on a schedule (``reports:`` in the config): each written once when it falls due, and
sent once to each of its receivers (e-mail: the HTML with the PDF attached; Slack: the PDF as a
file in the channel; DingTalk, WeCom, Feishu: its figures, and a link when ``url`` is set).

Every minute each schedule's latest due time (``reports.schedule.latest_slot``, in the config's
zone) is compared with the one the store says was last written for it; a newer one is written
(yesterday's 日报, or the week's 周报) to the schedule's folder and recorded, so a restart neither
writes it again nor, after downtime over the hour, forgets the latest one it missed. Then each of
its receivers not yet sent that report gets it; one that fails is tried again a minute later,
from the files, until it takes it or the next report is due. A schedule seen for the first time
(new, or its time changed) writes the report then due only within ``FIRST_GRACE`` of its time;
otherwise it starts with the next one.

The report reads the store through a connection of its own in a worker thread, and the mail
goes out in one too: collection and detection go on meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.config import Config, ReportSchedule
from yujing.notifier.notification import ReportMail
from yujing.notifier.receivers import ReceiverContext, receiver_class
from yujing.records import utcnow
from yujing.store import Store

from ..reports.charts import NoCjkFont
from ..reports.document import summary_line, title_of
from ..reports.period import Period
from ..reports.query import build_report
from ..reports.schedule import covers, latest_slot
from ..reports.write import write_built
from . import Component

__all__ = ["Reports"]

log = logging.getLogger("yujing.daemon")

EVERY = 60.0
# How late after its due time a schedule seen for the first time still writes that report: a
# daemon started just after the hour writes it, one started hours later waits for the next.
FIRST_GRACE = timedelta(minutes=15)


def _write(path: Path, config: Config, schedule: ReportSchedule, slot: datetime) -> dict[str, Any]:
    """The report due at ``slot``, written: what the store keeps of it (no files when it was
    empty and may be skipped)."""
    store = Store(path, readonly=True)
    try:
        period = Period.of(schedule.kind, covers(slot), config.tz)
        report = build_report(store, config, period, schedule.product)
    finally:
        store.close()
    done: dict[str, Any] = {"slot": slot.isoformat(), "delivered": []}
    if schedule.skip_empty and report.empty:
        return done
    written = write_built(report, schedule.out)
    title = f"{title_of(report)} {period.label}"
    return done | {"title": title, "summary": summary_line(report), "html": str(written.html)}


def _mail(done: dict[str, Any], schedule: ReportSchedule, receiver: str) -> ReportMail:
    html = Path(done["html"])
    pdf = html.with_suffix(".pdf")
    key = f"{schedule.key}|{done['slot']}|{receiver}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return ReportMail(
        key=digest,
        title=done["title"],
        summary=done["summary"],
        html=html.read_text(encoding="utf-8"),
        pdf=pdf.read_bytes(),
        pdf_name=pdf.name,
        link=f"{schedule.url.rstrip('/')}/{pdf.name}" if schedule.url else None,
    )


class Reports(Component):
    """Idle while the config schedules no report; a reload may add some."""

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self.every(scheduler, "reports", EVERY, self.check)

    async def check(self, now: datetime | None = None) -> list[Path]:
        """Write every report that fell due and was not written yet, and send each to the
        receivers that have not had it; the PDFs written."""
        config, store = self.daemon.config, self.daemon.store
        now = now or utcnow()
        written = []
        for schedule in config.reports:
            slot = latest_slot(schedule, now, config.tz)
            done = store.state.get(schedule.key)
            if done is None and now - slot > FIRST_GRACE:
                # A schedule seen for the first time (new, or its time changed) starts with its
                # next due time: an old report mailed at once, or one sent again under the new
                # time, is not what its receivers asked for.
                store.state.set(schedule.key, {"slot": slot.isoformat()})
                continue
            if not isinstance(done, dict) or done.get("slot") != slot.isoformat():
                try:
                    done = await asyncio.to_thread(_write, store.path, config, schedule, slot)
                except (OSError, ValueError, NoCjkFont) as exc:
                    # Said at each try (every minute until it works): the folder, the font.
                    log.error("report %s due at %s: %s", schedule.kind, slot.isoformat(), exc)
                    continue
                except Exception:
                    # Not this schedule's folder or font: a fault to fix. Logged with its trace
                    # at each try, and the schedules after it are still written.
                    log.exception("report %s due at %s failed", schedule.kind, slot.isoformat())
                    continue
                store.state.set(schedule.key, done)
                if "html" not in done:
                    log.info("report %s %s: nothing to tell, skipped", schedule.kind, covers(slot))
                    continue
                written.append(Path(done["html"]).with_suffix(".pdf"))
                log.info("report %s %s written: %s", schedule.kind, covers(slot), written[-1])
            if "html" in done:
                await self._send(schedule, done)
        return written

    async def _send(self, schedule: ReportSchedule, done: dict[str, Any]) -> None:
        config = self.daemon.config
        confs = {r.name: r for r in config.notify.receivers}
        context = ReceiverContext(config, names={p.id: p.name for p in config.products})
        for name in schedule.receivers:
            if name in done["delivered"] or name not in confs:
                continue
            conf = confs[name]
            receiver = None
            try:
                receiver = receiver_class(type(conf)).from_config(conf, context)
                mail = _mail(done, schedule, name)
                await asyncio.to_thread(receiver.send_report, mail)
            except Exception as exc:  # any receiver's failure: said, and tried again later
                log.error("report %s: receiver %s: %s", schedule.kind, name, exc)
                continue
            finally:
                if hasattr(receiver, "close"):  # Slack's connection to the store
                    receiver.close()
            done["delivered"].append(name)
            self.daemon.store.state.set(schedule.key, done)
            log.info("report %s sent to %s", schedule.kind, name)
