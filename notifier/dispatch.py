"""Durable delivery: every routed event is an outbox row until its receiver has taken it.

``submit`` only writes rows, so a crash or an unreachable service loses nothing; ``deliver_due``
sends what is due and schedules failures again with exponential backoff. Each receiver gets its
events in the order they were submitted: a "resolved" never overtakes its "firing".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from yujing.config import Config
from yujing.records import utcnow
from yujing.storage import OutboxItem, Store

from .receivers import Receiver, RetryLater, build_receivers
from .route import match_receivers

__all__ = ["Notifier", "DeliveryReport", "event_labels", "backoff"]

log = logging.getLogger("yujing.notifier")

BASE_DELAY = 5.0
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int
    failed: int


def event_labels(event: dict[str, Any]) -> dict[str, str]:
    """Labels a route can match: the alert's own, then the facts every alert has."""
    labels = {str(k): str(v) for k, v in (event.get("labels") or {}).items()}
    for name in ("product", "severity", "kind", "state", "category", "event"):
        if event.get(name) is not None:
            labels[name] = str(event[name])
    return labels


def backoff(attempts: int, cap: float) -> float:
    """Seconds before the next try after ``attempts`` earlier failures: 5, 10, 20, ... <= cap."""
    return min(BASE_DELAY * 2 ** min(attempts, 32), cap)


class Notifier:
    def __init__(self, config: Config, store: Store, receivers: dict[str, Receiver] | None = None):
        self.config = config
        self.store = store
        # Built lazily: a receiver's client (Slack, Elasticsearch) is only needed to deliver.
        self._receivers = receivers
        self._unknown_logged: set[str] = set()

    @property
    def receivers(self) -> dict[str, Receiver]:
        if self._receivers is None:
            self._receivers = build_receivers(self.config)
        return self._receivers

    def submit(self, event: dict[str, Any]) -> list[int]:
        """Route ``event`` and enqueue it once per receiver; returns the outbox ids."""
        names = match_receivers(self.config.notify.route, event_labels(event))
        if not names:
            log.info("alert %s matched no receiver", event.get("id"))
        return [self.store.enqueue(name, event) for name in names]

    def deliver_due(self, now: datetime | None = None, limit: int = 1000) -> DeliveryReport:
        now = now or utcnow()
        due = {item.id for item in self.store.due(now, limit=limit)}
        if not due:
            return DeliveryReport(0, 0)
        # All undelivered rows, due or not, oldest first: a receiver whose oldest row is still
        # waiting for its retry time is skipped, so its later rows cannot overtake it.
        queues: dict[str, list[OutboxItem]] = {}
        for item in self.store.due(FAR_FUTURE, limit=limit):
            queues.setdefault(item.receiver, []).append(item)
        sent = failed = 0
        for name, items in queues.items():
            receiver = self.receivers.get(name)
            if receiver is None:
                if name not in self._unknown_logged:
                    self._unknown_logged.add(name)
                    log.warning("no receiver named %r (config changed?); keeping its alerts", name)
                continue
            for item in items:
                if item.id not in due:
                    break
                if self._deliver(name, receiver, item, now):
                    sent += 1
                else:
                    failed += 1
                    break  # keep order: the rest waits for this one
        return DeliveryReport(sent, failed)

    def _deliver(self, name: str, receiver: Receiver, item: OutboxItem, now: datetime) -> bool:
        try:
            receiver.send(item.payload)
        except Exception as exc:  # any failure is retried; the error is kept on the row
            if isinstance(exc, RetryLater):
                delay = exc.retry_after
            else:
                delay = backoff(item.attempts, self.config.notify.retry_max)
            error = f"{type(exc).__name__}: {exc}"
            self.store.failed(item.id, error, now + timedelta(seconds=delay))
            log.warning(
                "delivering alert %s to %s failed (attempt %d, next in %.0fs): %s",
                item.payload.get("id"),
                name,
                item.attempts + 1,
                delay,
                error,
            )
            return False
        self.store.delivered(item.id)
        return True
