"""From collected post to delivered alert: understand -> store -> detect -> notify.

The pipeline owns the order of the stages, not their insides. ``accept`` is the sink every
collector calls (``intake``: understand, identify, store); a post counts as accepted once the
store has committed it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from yujing.alerts import AlertEvent, AlertState
from yujing.config import Config, SourceBase
from yujing.detector.burst import BurstDetector, detector_for
from yujing.detector.identity import Identity
from yujing.detector.lifecycle import Change, Lifecycle
from yujing.detector.source_health import KIND as SOURCE_KIND
from yujing.detector.source_health import RunOutcome, SourceHealthWatch
from yujing.detector.understand import understander_for
from yujing.notifier.dispatch import Notifier
from yujing.notifier.journal import Journal
from yujing.notifier.kibana import with_discover_link
from yujing.records import Post, utcnow
from yujing.store import Store

from .intake import Intake
from .zones import ZoneWatch

__all__ = ["Pipeline"]

log = logging.getLogger("yujing.pipeline")


class Pipeline:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        notifier: Notifier | None = None,
        detector: BurstDetector | None = None,
        on_alert: Callable[[AlertEvent], None] | None = None,
        identity: Identity | None = None,
    ):
        self.config = config
        self.store = store
        self.understander = understander_for(config)
        # The copy index does not depend on the config: a reload hands it over.
        self.intake = Intake(self.understander, store, identity, ZoneWatch(config, store))
        # A detector handed over (a reload that left detection alone) keeps what it learned.
        self.detector = detector or detector_for(config, store)
        # The inhibit stage reads the firing alerts from the store when a group is flushed;
        # the silence stage judges the kept silences at the flush's time.
        self.notifier = notifier or Notifier(
            config,
            store,
            firing=lambda: store.alerts.all(AlertState.FIRING),
            silences=store.silences.all,
        )
        self.journal = Journal(config.alerts_file) if config.alerts_file else None
        self.on_alert = on_alert
        # The detector's open alerts; source-health alerts have a lifecycle of their own.
        self.lifecycle = Lifecycle(
            a for a in store.alerts.all(AlertState.FIRING) if a.kind != SOURCE_KIND
        )
        self.health = SourceHealthWatch(store)

    def detector_fits(self, config: Config) -> bool:
        """Whether this pipeline's detector (its learned state) serves ``config`` as it is."""
        return (
            config.detection == self.config.detection
            and config.products == self.config.products
            and config.categories == self.config.categories
        )

    @property
    def identity(self) -> Identity:
        return self.intake.identity

    def accept(self, post: Post) -> bool:
        """The collectors' sink. True when the post is new and committed."""
        return self.intake.accept(post)

    def accept_many(self, batch: Sequence[Post]) -> list[bool]:
        """``accept`` for a batch, committed in one transaction before this returns."""
        return self.intake.accept_many(batch)

    def detect(
        self, now: datetime | None = None, *, all_products: bool = False
    ) -> list[AlertEvent]:
        """Evaluate products that got posts (or all, or those firing) and hand events on."""
        now = now or utcnow()
        # The detector reads what was committed since its last look, from any process.
        products = self.detector.catch_up() | self.lifecycle.products()
        if all_products:
            products |= {p.id for p in self.config.products}
        # The alert's new state, its audit entry and its place in its groups commit together:
        # an alert is never stored as firing without its messages on their way, nor the other
        # way round. If anything fails, the store rolls back and so does the detector's memory
        # of its waves, so the next evaluation finds the same wave again.
        mark = self.detector.mark()
        try:
            with self.store.transaction():
                named = self.lifecycle.name(self.detector.evaluate(sorted(products), now))
                changes = [self._linked(c) for c in named]
                for change in changes:
                    self.store.alerts.save(change.alert)  # the latest numbers, told or not
                    if change.event is not None:
                        event = change.event
                        self.store.audit.append("alert", event.id, event.to_dict(), now)
                        # Into its receivers' groups; an alert muted now (a category while its
                        # product fires) stays in its group and is told once nothing mutes it.
                        self.notifier.submit(event, now)
        except Exception:
            self.detector.rollback(mark)
            raise
        self.lifecycle.apply(changes)
        events = [c.event for c in changes if c.event is not None]
        for event in events:
            try:
                self._announce(event)
            except Exception:  # the alert is stored and queued; a full disk must not hide it
                log.exception("announcing alert %s failed", event.id)
        return events

    def source_ran(
        self, source: SourceBase, run: RunOutcome, now: datetime | None = None
    ) -> AlertEvent | None:
        """Count a complete run of ``source``; a source-health alert's event when it fires or
        resolves. The alert and its outbox rows commit with the run's count, as burst alerts."""
        now = now or utcnow()
        with self.store.transaction():
            changes = [
                c
                for c in (self.health.observe(source, run, now), self.health.quiet(source, now))
                if c is not None
            ]
            for change in changes:
                self.store.alerts.save(change.alert)
                if change.event is not None:
                    self.notifier.submit(change.event)
        events = [c.event for c in changes if c.event is not None]
        for event in events:
            try:
                self._announce(event)
            except Exception:
                log.exception("announcing alert %s failed", event.id)
        return events[0] if events else None

    def _linked(self, change: Change) -> Change:
        """With ``kibana.url`` set, the alert carries a link to its posts in Discover."""
        kibana, es = self.config.kibana, self.config.elasticsearch
        if kibana is None:
            return change
        alert = with_discover_link(change.alert, kibana, es.index_prefix if es else "yujing")
        event = replace(change.event, alert=alert) if change.event is not None else None
        return replace(change, alert=alert, event=event)

    def _announce(self, event: AlertEvent) -> None:
        """After the commit: the audit log line, the journal file and the caller's hook."""
        # The routed `log` receiver writes the full message; this line exists whatever the route.
        alert = event.alert
        subject = alert.product or alert.labels.get("source", "")
        log.info(
            "alert %s: %s [%s] %s",
            event.event,
            subject,
            alert.severity,
            alert.id,
            extra={"alert": alert.key, "alert_id": alert.id, "severity": alert.severity.value},
        )
        if self.journal is not None:
            self.journal.append(event.to_dict())
        if self.on_alert is not None:
            self.on_alert(event)
