"""From collected post to delivered alert: understand -> store -> detect -> notify.

The pipeline owns the order of the stages, not their insides. ``accept`` is the sink every
collector calls; a post counts as accepted once the store has committed it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from detector.burst import BurstDetector, detector_for
from detector.understand import understander_for
from notifier.dispatch import Notifier
from notifier.receivers import FileReceiver as JournalWriter

from .config import Config, FileReceiver
from .records import Alert, AlertState, Post, utcnow
from .storage import Store

__all__ = ["Pipeline", "AlertEvent", "event_name"]

log = logging.getLogger("yujing.pipeline")

AlertEvent = dict[str, Any]  # Alert.to_dict() plus "event": firing|updated|escalated|resolved


def event_name(alert: Alert, previous: Alert | None) -> str:
    if alert.state is AlertState.RESOLVED:
        return "resolved"
    if previous is None or previous.id != alert.id:
        return "firing"
    if alert.severity.rank > previous.severity.rank:
        return "escalated"
    return "updated"


class Pipeline:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        notifier: Notifier | None = None,
        detector: BurstDetector | None = None,
        on_alert: Callable[[AlertEvent], None] | None = None,
    ):
        self.config = config
        self.store = store
        self.understander = understander_for(config)
        # A detector handed over (a reload that left detection alone) keeps what it learned.
        self.detector = detector or detector_for(config, store)
        self.notifier = notifier or Notifier(config, store)
        self.journal = (
            JournalWriter(FileReceiver(name="journal", type="file", path=config.alerts_file))
            if config.alerts_file
            else None
        )
        self.on_alert = on_alert
        self._firing = {a.key: a for a in store.alerts(AlertState.FIRING)}
        self.accepted = 0
        self.duplicates = 0

    def detector_fits(self, config: Config) -> bool:
        """Whether this pipeline's detector (its learned state) serves ``config`` as it is."""
        return (
            config.detection == self.config.detection
            and config.products == self.config.products
            and config.categories == self.config.categories
        )

    def accept(self, post: Post) -> bool:
        """The collectors' sink. True when the post is new and committed."""
        scored, key = self.understander.understand(post)
        if not self.store.accept(scored, key):
            self.duplicates += 1
            return False
        self.accepted += 1
        return True

    def detect(
        self, now: datetime | None = None, *, all_products: bool = False
    ) -> list[AlertEvent]:
        """Evaluate products that got posts (or all, or those firing) and hand events on."""
        now = now or utcnow()
        # The detector reads what was committed since its last look, from any process.
        products = self.detector.catch_up() | {a.product for a in self._firing.values()}
        if all_products:
            products |= {p.id for p in self.config.products}
        events = []
        # The alert's new state and its outbox rows commit together: an alert is never stored
        # as firing without its messages queued, nor queued without being stored. If anything
        # fails, the store rolls back and so does the detector's memory of its waves, so the
        # next evaluation finds the same wave again.
        mark = self.detector.mark()
        try:
            with self.store.transaction():
                for alert in self.detector.evaluate(sorted(products), now):
                    event = alert.to_dict()
                    event["event"] = event_name(alert, self._firing.get(alert.key))
                    self.notifier.submit(event)
                    events.append((alert, event))
        except Exception:
            self.detector.rollback(mark)
            raise
        for alert, _ in events:
            if alert.state is AlertState.FIRING:
                self._firing[alert.key] = alert
            else:
                self._firing.pop(alert.key, None)
        for _, event in events:
            try:
                self._announce(event)
            except Exception:  # the alert is stored and queued; a full disk must not hide it
                log.exception("announcing alert %s failed", event["id"])
        return [event for _, event in events]

    def _announce(self, event: AlertEvent) -> None:
        """After the commit: the audit log line, the journal file and the caller's hook."""
        # The routed `log` receiver writes the full message; this line exists whatever the route.
        log.info(
            "alert %s: %s [%s] %s", event["event"], event["product"], event["severity"], event["id"]
        )
        if self.journal is not None:
            self.journal.send(event)
        if self.on_alert is not None:
            self.on_alert(event)
