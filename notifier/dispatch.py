"""Durable delivery: every routed event is an outbox row until its receiver has taken it.

``submit`` runs the notification stages (``stages``: route, group, inhibit, silence, dedup,
outbox) and only writes rows, so a crash or an unreachable service loses nothing; ``deliver_due``
sends what is due and schedules failures again with exponential backoff. Each receiver gets its
events in the order they were submitted: a "resolved" never overtakes its "firing".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from yujing.alerts import Alert, AlertEvent, EventKind
from yujing.config import Config
from yujing.records import utcnow
from yujing.store import Outbox, OutboxItem

from .receivers import Receiver, RetryLater, build_receivers
from .stages import FiringAlerts, Notice, Silences, build_stages, no_silences, run

__all__ = ["Notifier", "DeliveryReport", "backoff"]

log = logging.getLogger("yujing.notifier")

BASE_DELAY = 5.0


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int
    failed: int


def no_alerts() -> Iterable[Alert]:
    return ()


def backoff(attempts: int, cap: float) -> float:
    """Seconds before the next try after ``attempts`` earlier failures: 5, 10, 20, ... <= cap."""
    return min(BASE_DELAY * 2 ** min(attempts, 32), cap)


class Notifier:
    def __init__(
        self,
        config: Config,
        outbox: Outbox,
        receivers: dict[str, Receiver] | None = None,
        *,
        firing: FiringAlerts = no_alerts,
        silences: Silences = no_silences,
    ):
        """``firing`` returns the alerts firing now, the sources of ``inhibit_rules``: without
        it nothing is inhibited. ``silences`` returns the silences (none until they are kept)."""
        self.config = config
        self.outbox = outbox
        self.stages = build_stages(config.notify, outbox, firing, silences)
        # Built lazily: a receiver's client (Slack, Elasticsearch) is only needed to deliver.
        self._receivers = receivers
        self._unknown_logged: set[str] = set()

    @property
    def receivers(self) -> dict[str, Receiver]:
        if self._receivers is None:
            self._receivers = build_receivers(self.config)
        return self._receivers

    def close(self) -> None:
        """Release the receivers' connections (a config reload builds new ones)."""
        for receiver in (self._receivers or {}).values():
            close = getattr(receiver, "close", None)
            if close is not None:
                close()

    def submit(self, event: AlertEvent) -> list[int]:
        """Run ``event`` through the stages: one outbox row per receiver that is to hear of it
        (none when inhibited, silenced or already told); returns the outbox ids."""
        return [n.row for n in run(self.stages, [Notice(event)]) if n.row is not None]

    def remind(self, alerts: Iterable[Alert]) -> list[int]:
        """Tell receivers that never heard of these firing alerts (muted before, unmuted now)."""
        notices = [
            Notice(AlertEvent(EventKind.FIRING, a), first_only=True) for a in alerts if a.firing
        ]
        return [n.row for n in run(self.stages, notices) if n.row is not None]

    def _queues(self, now: datetime, limit: int) -> list[tuple[str, Receiver, list[OutboxItem]]]:
        """Per receiver, its due rows in order, up to the first row still waiting for a retry.

        Each receiver is read on its own, so one dead service with a long backlog never holds
        up the others; within a receiver a "resolved" never overtakes its "firing".
        """
        queues = []
        for name in self.outbox.receivers_waiting():
            receiver = self.receivers.get(name)
            if receiver is None:
                if name not in self._unknown_logged:
                    self._unknown_logged.add(name)
                    log.warning("no receiver named %r (config changed?); keeping its alerts", name)
                continue
            items = []
            for item in self.outbox.queue(name, limit):
                if item.next_attempt_at is not None and item.next_attempt_at > now:
                    break
                items.append(item)
            if items:
                queues.append((name, receiver, items))
        return queues

    def deliver_due(self, now: datetime | None = None, limit: int = 1000) -> DeliveryReport:
        """Send what is due, here and now, each send in this thread (for the CLI and tests)."""

        async def send_here(receiver: Receiver, event: AlertEvent) -> None:
            receiver.send(event)

        return asyncio.run(self._deliver(now or utcnow(), limit, send_here))

    async def deliver_due_async(
        self, now: datetime | None = None, limit: int = 1000
    ) -> DeliveryReport:
        """Like ``deliver_due``, but the network call runs in a worker thread.

        Only the send leaves the event loop; the outbox bookkeeping stays on the loop's thread,
        so crawls are never stalled by a slow chat service and the store is used from one thread.
        """

        async def send_in_thread(receiver: Receiver, event: AlertEvent) -> None:
            await asyncio.to_thread(receiver.send, event)

        return await self._deliver(now or utcnow(), limit, send_in_thread)

    async def _deliver(
        self,
        now: datetime,
        limit: int,
        send: Callable[[Receiver, AlertEvent], Awaitable[None]],
    ) -> DeliveryReport:
        sent = failed = 0
        for name, receiver, items in self._queues(now, limit):
            for item in items:
                event = self._readable(name, item)
                if event is None:
                    continue
                try:
                    await send(receiver, event)
                except Exception as exc:  # any failure is retried; the error is kept on the row
                    self._failed(name, item, exc, now)
                    failed += 1
                    break  # keep order: the rest waits for this one
                self.outbox.delivered(item.id)
                sent += 1
                if item.attempts:
                    log.info(
                        "delivered alert %s to %s after %d failed attempts",
                        event.id,
                        name,
                        item.attempts,
                        extra={"receiver": name, "alert": event.alert.key},
                    )
        return DeliveryReport(sent, failed)

    def _readable(self, name: str, item: OutboxItem) -> AlertEvent | None:
        """The row's event; a row that is no event (damaged, or from a foreign writer) is set
        aside with its reason, so it neither blocks the receiver's queue nor is retried for ever."""
        try:
            return AlertEvent.from_dict(item.payload)
        except (KeyError, TypeError, ValueError) as exc:
            reason = f"unreadable alert event ({type(exc).__name__}: {exc})"
            log.error("outbox row %d for %s set aside: %s", item.id, name, reason)
            self.outbox.give_up(item.id, reason)
            return None

    def _failed(self, name: str, item: OutboxItem, exc: Exception, now: datetime) -> None:
        if isinstance(exc, RetryLater):
            delay = exc.retry_after
        else:
            delay = backoff(item.attempts, self.config.notify.retry_max)
        error = f"{type(exc).__name__}: {exc}"
        self.outbox.failed(item.id, error, now + timedelta(seconds=delay))
        # Logged once, at the first failure: the retries of an outage would repeat it every
        # few seconds. Later attempts are DEBUG; the row's last_error, `yujing status` and
        # /metrics keep the current state; a late success is logged too.
        log.log(
            logging.WARNING if item.attempts == 0 else logging.DEBUG,
            "delivering alert %s to %s failed (attempt %d, next in %.0fs): %s",
            item.payload.get("id"),
            name,
            item.attempts + 1,
            delay,
            error,
            extra={"receiver": name, "alert": item.payload.get("key")},
        )
