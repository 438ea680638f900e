"""What the burst detector remembers across restarts, and how it catches up with the store.

Per-series state (rings, baselines, details, open waves), emerging-term tables and mention counts
are saved to the store's ``state`` table as one JSON document (``STATE_KEY``) every
``CHECKPOINT`` seconds of evaluation time, with the ``posts`` rowid it covers. On start the
detector loads it and then observes the posts committed after that rowid, so nothing is lost or
counted twice; without a saved state it learns from the posts of the last ``HISTORY`` days in the
store. Firing alerts are read back from the store, so a restart carries a wave on instead of
firing it again.

A stored post replaced by a richer record of it keeps its row (``store.posts.replace``): the
detector does not read it again, and the replacement's amendment (``amendments_after``) tells who
posted it. An amendment is applied to a post the detector counted as it was: one read before the
amendment was committed. Rows are read before amendments at each catch-up, so a row read at an
earlier one, or read now in a version older than the amendment (``"amended"`` in its document),
was counted as it was; a row not read yet will be read as it is now. A second record of a post
merged into the first (its row deleted) is taken back if it was read, and never read otherwise.

A mixin of ``BurstDetector``: it works on the detector's own series, terms and mentions.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from yujing.alerts import AlertState
from yujing.records import ScoredPost, utcnow
from yujing.store import Store

from ..details import Details
from ..emerging import EmergingTerms
from ..series import Wave, bucket_of
from ..understand import dated
from .alert import KIND
from .repeat import KIND as REPEAT
from .repeat import RepeatWatch

__all__ = ["Memory", "STATE_KEY", "STATE_VERSION", "CHECKPOINT", "HISTORY"]

log = logging.getLogger("yujing.detector")

STATE_KEY = "detector.burst"
STATE_VERSION = 1
CHECKPOINT = 300.0  # seconds of evaluation time between state saves
HISTORY = 28  # days of stored posts learned from when no state was saved
LATENCY = 60.0  # evaluations within a minute of each other reuse their clock for checkpoints


@dataclass(frozen=True, slots=True)
class Mark:
    """The open alerts as an evaluation found them (``Memory.mark``)."""

    waves: dict[str, Wave | None]
    repeats: dict[str, Any]


class Memory:
    """Saving, restoring and catching up; mixed into ``BurstDetector``."""

    series: dict[str, Any]
    terms: dict[str, EmergingTerms]
    store: Store | None
    repeats: RepeatWatch
    persist: bool
    cursor: int
    amended: int
    _saved_at: float | None

    def _restore(self, store: Store) -> None:
        # Only the detector's own alerts: source-health alerts share the table.
        stored = store.alerts.all(AlertState.FIRING)
        firing = {a.key: a for a in stored if a.kind == KIND}
        for alert in stored:
            if alert.kind == REPEAT:
                self.repeats.restore(alert)
        state = store.state.get(STATE_KEY) if self.persist else None
        if isinstance(state, dict) and state.get("version") == STATE_VERSION:
            self.cursor = int(state.get("cursor", 0))
            # State saved before amendments were kept: there were none before it.
            self.amended = int(state.get("amended", 0))
            for key, d in state.get("series", {}).items():
                s = self._series(d["product"], d.get("category"), int(d["head"]))
                if not s.load(d):
                    log.info("detector state of %s no longer fits its rule; relearning", key)
            self.mentions.load(state.get("mentions") or {})
            for product, d in state.get("terms", {}).items():
                rule = self.detection.rule_for(product)
                et = EmergingTerms(rule.window, rule.baseline, self.product_terms.get(product, ()))
                et.load(d)
                self.terms[product] = et
            waves = {k: v["wave"] for k, v in state.get("series", {}).items() if v.get("wave")}
        else:
            waves = {}
        # Open alerts come back from the store, so a restart does not fire a wave twice.
        for key, alert in firing.items():
            s = self.series.get(key) or self._series(
                alert.product,
                alert.category,
                bucket_of(
                    alert.updated_at.timestamp(), self.detection.rule_for(alert.product).bucket
                ),
            )
            saved = waves.get(key)
            if saved and saved.get("id") == alert.id:
                quiet = saved.get("quiet")
                s.wave = Wave(
                    alert,
                    int(saved["peak"]),
                    Details.load(saved["d"]),
                    datetime.fromisoformat(quiet) if quiet else None,
                )
            else:
                # Its posts come back through catch_up, which fills the details: starting them
                # from the alert's counts would count those posts twice.
                s.wave = Wave(alert, alert.burst.count if alert.burst else 0, Details())
        self.catch_up()

    def mark(self) -> Mark:
        """The waves as they stand, for ``rollback`` if what follows an evaluation fails."""
        waves = {key: copy.copy(s.wave) for key, s in self.series.items()}
        return Mark(waves, dict(self.repeats.open))

    def rollback(self, mark: Mark) -> None:
        """Undo an evaluation whose alerts were not committed: the next one finds them again."""
        for key, wave in mark.waves.items():
            if key in self.series:
                self.series[key].wave = wave
        self.repeats.open = dict(mark.repeats)
        self._saved_at = None

    def catch_up(self) -> set[str]:
        """Observe every post committed since the last call; return the products they name.

        The store is the detector's only input in the daemon: a post counts once it is
        committed, whichever process committed it (``yujing ingest`` beside a running daemon
        included), and a restart resumes from the saved cursor. Without a saved state the
        recent history is read, so a new daemon learns from what is already stored.
        """
        if self.store is None:
            return set()
        # Dated as the posts count (one dated a year ahead of its fetch must not put the rest
        # out of reach), and never past now.
        latest = self.store.posts.latest_dated() if self.cursor == 0 else None
        if latest is not None:
            latest = min(latest, utcnow())
        since = latest - timedelta(days=HISTORY) if latest is not None else None
        touched: set[str] = set()
        n = 0
        before = self.cursor
        read: set[int] = set()  # rows read now
        versions: dict[int, int] = {}  # of them, those that include an amendment: which
        while True:
            rows = self.store.posts.after(self.cursor, limit=1000)
            if not rows:
                break
            for rowid, doc in rows:
                self.cursor = rowid
                read.add(rowid)
                if doc.get("amended"):
                    versions[rowid] = int(doc["amended"])
                scored = _scored_from_doc(doc)
                if scored is None:
                    continue
                if (when := dated(scored.post)) != scored.post.published_at:
                    # Stored before misdated posts were dated when fetched.
                    scored = replace(scored, post=replace(scored.post, published_at=when))
                if since is not None and when < since:
                    continue
                try:
                    self.observe(scored)
                except (ArithmeticError, ValueError) as exc:
                    # One odd post (a wild date, say) must not stop detection for all others.
                    log.warning("detector skipped stored post %d: %s", rowid, exc)
                    continue
                touched.update(scored.products)
                n += 1
        if n > 1000:
            log.info("detector caught up on %d stored posts", n)
        while amendments := self.store.posts.amendments_after(self.amended):
            for seq, rowid, was_doc, now_doc in amendments:
                self.amended = seq
                if rowid > before and (rowid not in read or versions.get(rowid, 0) >= seq):
                    # Read as it is now, or to be; or merged away before it could be read.
                    continue
                was = _scored_from_doc(was_doc)
                merged = "merged_into" in now_doc  # a second record of a post: taken back
                now = None if merged else _scored_from_doc(now_doc)
                if was is not None and (merged or now is not None):
                    touched.update(self.amend(was, now))
        return touched

    def _maybe_checkpoint(self, now: datetime) -> None:
        if not self.persist:
            return
        ts = now.timestamp()
        if self._saved_at is not None and abs(ts - self._saved_at) < CHECKPOINT:
            return
        self.save_state()
        self._saved_at = ts

    def save_state(self) -> None:
        """Write the detector's state to the store (also call on shutdown)."""
        if self.store is None:
            return
        series = {}
        for key, s in self.series.items():
            d = s.dump()
            d["product"], d["category"] = s.product, s.category
            series[key] = d
        self.store.state.set(
            STATE_KEY,
            {
                "version": STATE_VERSION,
                "cursor": self.cursor,
                "amended": self.amended,
                "series": series,
                "terms": {p: et.dump() for p, et in self.terms.items()},
                "mentions": self.mentions.dump(),
            },
        )


def _scored_from_doc(doc: dict[str, Any]) -> ScoredPost | None:
    try:
        return ScoredPost.from_dict(doc)
    except (KeyError, TypeError, ValueError):
        return None
