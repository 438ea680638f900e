"""Burst detection as a rule (``detector.rule``): configured by ``detection:``, it reads the
posts the store commits, evaluates the products that got news (or, on the scheduled look, every
configured product) and names the changes of its alerts through the lifecycle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from yujing.alerts import AlertState
from yujing.config import Config, Detection
from yujing.store import Store

from ..lifecycle import Change, Lifecycle
from ..rule import RuleContext, StoredPosts
from .detector import KIND, BurstDetector, detector_for
from .memory import Mark
from .repeat import KIND as REPEAT

__all__ = ["BurstDetectionRule"]


class BurstDetectionRule:
    kinds = (KIND, REPEAT)
    consumes = StoredPosts

    def __init__(self, config: Config, store: Store, detector: BurstDetector | None = None):
        self.config = config
        self.store = store
        # The open alerts it raised, by series: evaluated even without new posts.
        self.lifecycle = Lifecycle(
            a for a in store.alerts.all(AlertState.FIRING) if a.kind in self.kinds
        )
        self.touched: set[str] = set()  # products named by posts read since the last look
        self._mark: Mark | None = None
        if detector is None:
            self.restore_state()
        else:
            self.detector = detector

    @classmethod
    def from_config(cls, sections: Sequence[Detection], context: RuleContext) -> BurstDetectionRule:
        # A detector handed over (a reload that left detection alone) keeps what it learned.
        kept = next((h for h in context.handed if isinstance(h, BurstDetector)), None)
        return cls(context.config, context.store, kept)

    def observe(self, item: StoredPosts) -> None:
        self.touched |= self.detector.catch_up()

    def evaluate(self, now: datetime, *, every_series: bool = False) -> list[Change]:
        products = self.touched | self.lifecycle.products()
        self.touched = set()
        if every_series:
            products |= {p.id for p in self.config.products}
        self._mark = self.detector.mark()
        return self.lifecycle.name(self.detector.evaluate(sorted(products), now))

    def committed(self, changes: Sequence[Change]) -> None:
        self.lifecycle.apply(changes)

    def rollback(self) -> None:
        # The detector's memory of its waves goes back too: the next evaluation finds them again.
        if self._mark is not None:
            self.detector.rollback(self._mark)

    def save_state(self) -> None:
        self.detector.save_state()

    def restore_state(self) -> None:
        """A detector as the config describes it, restored from the state saved in the store."""
        self.detector = detector_for(self.config, self.store)
