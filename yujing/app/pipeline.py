"""From collected post to delivered alert: understand -> store -> detect -> notify.

The pipeline owns the order of the stages, not their insides. ``accept`` and ``accept_many`` (a
batch, as crawls and the inbox hand them) are the sink every collector calls (``intake``:
understand, identify, store); a post counts as accepted once the store has committed it. Detection is the rules the config holds (``detector.rule``: burst
detection, source health, ...), built from their registry and driven alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from yujing.alerts import AlertEvent, AlertState
from yujing.config import Config, SourceBase
from yujing.detector.burst import BurstDetector
from yujing.detector.copies import Sketch
from yujing.detector.identity import Identity
from yujing.detector.lifecycle import Change
from yujing.detector.rule import Rule, RuleContext, StoredPosts, build_rules
from yujing.detector.source_health import RunOutcome, SourceRun
from yujing.detector.understand import understander_for
from yujing.notifier.dispatch import Notifier
from yujing.notifier.journal import Journal
from yujing.notifier.kibana import with_discover_link
from yujing.records import Post, ScoredPost, utcnow
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
        self.rules: list[Rule] = build_rules(
            RuleContext(config, store, handed=(detector,) if detector is not None else ())
        )
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

    @property
    def detector(self) -> BurstDetector:
        """The burst rule's detector: its posts cursor (retention, metrics), and what a reload
        that leaves detection alone hands to the next pipeline."""
        for rule in self.rules:
            detector = getattr(rule, "detector", None)
            if isinstance(detector, BurstDetector):
                return detector
        raise LookupError("no burst detection among the rules")

    def save_state(self) -> None:
        """Every rule writes what it learned (before a reload, on shutdown)."""
        for rule in self.rules:
            rule.save_state()

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

    def accept_many(
        self,
        batch: Sequence[Post],
        understood: Mapping[str, ScoredPost] | None = None,
        sketches: Mapping[str, Sketch] | None = None,
    ) -> list[bool]:
        """``accept`` for a batch, committed in one transaction before this returns;
        ``understood``: posts of it understood already (in a worker process), and
        ``sketches`` their copy sketches, by id."""
        return self.intake.accept_many(batch, understood, sketches)

    def detect(
        self, now: datetime | None = None, *, all_products: bool = False
    ) -> list[AlertEvent]:
        """Evaluate every rule (products that got posts, or all, or those firing) and hand
        events on."""
        now = now or utcnow()
        # Rules that read posts read what was committed since their last look, from any process.
        posts = StoredPosts(self.store)
        for rule in self.rules:
            if isinstance(posts, rule.consumes):
                rule.observe(posts)

        def keep(change: Change) -> None:
            self.store.alerts.save(change.alert)  # the latest numbers, told or not
            if change.event is not None:
                event = change.event
                self.store.audit.append("alert", event.id, event.to_dict(), now)
                # Into its receivers' groups; an alert muted now (a category while its product
                # fires) stays in its group and is told once nothing mutes it.
                self.notifier.submit(event, now)

        events = self._evaluate(
            self.rules,
            lambda rule: [self._linked(c) for c in rule.evaluate(now, every_series=all_products)],
            keep,
        )
        self._announce_all(events)
        return events

    def source_ran(
        self, source: SourceBase, run: RunOutcome, now: datetime | None = None
    ) -> AlertEvent | None:
        """Count a complete run of ``source``; a source-health alert's event when it fires or
        resolves. The alert and its outbox rows commit with the run's count, as burst alerts."""
        now = now or utcnow()
        ran = SourceRun(source, run, now)

        def observed(rule: Rule) -> list[Change]:
            rule.observe(ran)
            return rule.evaluate(now)

        def keep(change: Change) -> None:
            self.store.alerts.save(change.alert)
            if change.event is not None:
                self.notifier.submit(change.event)

        events = self._evaluate(
            [r for r in self.rules if isinstance(ran, r.consumes)], observed, keep
        )
        self._announce_all(events)
        return events[0] if events else None

    def _evaluate(
        self,
        rules: Sequence[Rule],
        evaluate: Callable[[Rule], list[Change]],
        keep: Callable[[Change], None],
    ) -> list[AlertEvent]:
        """The rules' changes, each kept (``keep``) in one store transaction; the events to tell.

        If anything fails, the store rolls back and so does each rule's memory of its waves, so
        the next evaluation finds the same wave again. A rule learns that its changes are what
        is open only once they are committed."""
        evaluated: list[tuple[Rule, list[Change]]] = []
        try:
            with self.store.transaction():
                for rule in rules:
                    changes = evaluate(rule)
                    evaluated.append((rule, changes))
                    for change in changes:
                        keep(change)
        except Exception:
            for rule, _ in evaluated:
                rule.rollback()
            raise
        for rule, changes in evaluated:
            rule.committed(changes)
        return [c.event for _, changes in evaluated for c in changes if c.event is not None]

    def _announce_all(self, events: list[AlertEvent]) -> None:
        for event in events:
            try:
                self._announce(event)
            except Exception:  # the alert is stored and queued; a full disk must not hide it
                log.exception("announcing alert %s failed", event.id)

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
