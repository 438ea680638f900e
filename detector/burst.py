"""The burst rule: a product suddenly talked about far more than usual.

For each product, with its rule (``Detection.rule_for``):

* ``count``    posts naming it in [now - window, now);
* ``usual``    posts in the ``baseline`` period before that window, scaled to one window;
* ``expected`` max(usual, EXPECTED_FLOOR), so a product that is never mentioned does not fire
  on its first two posts;
* it is hot when count >= min_count and count >= ratio * expected.

Severity, from how many people, how organised and how widespread (see ``severity_for``):

* red     complainants >= 8 * min_count
* orange  complainants >= 4 * min_count, or >= 3 sources and >= 3 posts with collective language
* yellow  complainants >= 2 * min_count, or >= 3 posts with collective language
* blue    otherwise

Lifecycle of one wave (one alert id, ``burst:<product>@<start>``):

* not firing and hot                      -> a new firing alert;
* firing and hot, count above the highest
  reported so far or severity higher      -> an update of the same alert (escalation when
                                             severity rose). Severity never drops within a
                                             wave, and a count that slides down as posts age
                                             out of the window is not news, so neither emits;
* firing and not hot (back to baseline)   -> the alert, resolved at ``now``.

State lives in the store (``save_alert`` / ``firing_alert``), so a restart carries on the wave.
``evaluate`` reads no clock: an offline replay can drive it with its own ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from yujing.config import BurstRule, Detection
from yujing.records import Alert, AlertState, Severity
from yujing.storage import Store

__all__ = ["BurstDetector", "Measure", "severity_for", "EXPECTED_FLOOR", "KIND"]

KIND = "burst"
EXPECTED_FLOOR = 0.5  # posts per window assumed even for a product with no history
SAMPLES = 5


@dataclass(frozen=True, slots=True)
class Measure:
    """What one evaluation saw for one product."""

    product: str
    rule: BurstRule
    window_start: datetime
    window_end: datetime
    count: int
    complainants: int
    sources: int
    collective: int
    negative: int
    reach: int
    usual: float  # baseline posts scaled to one window

    @property
    def expected(self) -> float:
        return max(self.usual, EXPECTED_FLOOR)

    @property
    def score(self) -> float:
        return self.count / self.expected

    @property
    def hot(self) -> bool:
        return self.count >= self.rule.min_count and self.count >= self.rule.ratio * self.expected


def severity_for(m: Measure) -> Severity:
    n = m.rule.min_count
    if m.complainants >= 8 * n:
        return Severity.RED
    if m.complainants >= 4 * n or (m.sources >= 3 and m.collective >= 3):
        return Severity.ORANGE
    if m.complainants >= 2 * n or m.collective >= 3:
        return Severity.YELLOW
    return Severity.BLUE


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _reasons(m: Measure) -> tuple[str, ...]:
    out = [
        f"{_plural(m.count, 'post')} in {_span(m.rule.window)} against a usual {m.usual:.1f}",
        f"{_plural(m.complainants, 'distinct complainant')}",
        f"{_plural(m.sources, 'source')}",
    ]
    if m.collective:
        out.append(f"collective-action language in {_plural(m.collective, 'post')}")
    if m.negative:
        out.append(f"negative tone in {_plural(m.negative, 'post')}")
    if m.reach:
        out.append(f"public attention {m.reach:,} (views, comments, reposts, likes)")
    return tuple(out)


class BurstDetector:
    def __init__(self, detection: Detection, store: Store):
        self.detection = detection
        self.store = store

    def measure(self, product: str, now: datetime) -> Measure:
        rule = self.detection.rule_for(product)
        window = timedelta(seconds=rule.window)
        start = now - window
        stats = self.store.window_stats(product, start, now)
        before = self.store.count_between(product, start - timedelta(seconds=rule.baseline), start)
        return Measure(
            product=product,
            rule=rule,
            window_start=start,
            window_end=now,
            count=stats["count"],
            complainants=stats["complainants"],
            sources=stats["sources"],
            collective=stats["collective"],
            negative=stats["negative"],
            reach=stats["reach"],
            usual=before * rule.window / rule.baseline,
        )

    def evaluate(self, products: Iterable[str], now: datetime) -> list[Alert]:
        """Alert events for ``products`` at ``now``: new, updated or resolved alerts."""
        if now.tzinfo is None:
            # A naive time would be read as local time by the store and shift every window.
            raise ValueError("evaluate needs a timezone-aware now")
        now = now.astimezone(UTC)
        events = []
        for product in dict.fromkeys(products):
            event = self._evaluate_one(product, now)
            if event is not None:
                self.store.save_alert(event)
                events.append(event)
        return events

    def _evaluate_one(self, product: str, now: datetime) -> Alert | None:
        key = f"{KIND}:{product}"
        current = self.store.firing_alert(key)
        m = self.measure(product, now)
        if current is None:
            return self._fire(key, m, now) if m.hot else None
        if not m.hot:
            return replace(
                current,
                state=AlertState.RESOLVED,
                resolved_at=now,
                updated_at=now,
                reasons=(
                    *current.reasons,
                    f"back to usual: {_plural(m.count, 'post')} in {_span(m.rule.window)}"
                    f" against a usual {m.usual:.1f}",
                ),
            )
        severity = max(severity_for(m), current.severity, key=lambda s: s.rank)
        if m.count <= current.count and severity == current.severity:
            return None
        return self._alert(key, current.id, current.started_at, severity, m, now)

    def _fire(self, key: str, m: Measure, now: datetime) -> Alert:
        alert_id = f"{key}@{now:%Y%m%dT%H%M%SZ}"
        return self._alert(key, alert_id, now, severity_for(m), m, now)

    def _alert(
        self,
        key: str,
        alert_id: str,
        started_at: datetime,
        severity: Severity,
        m: Measure,
        now: datetime,
    ) -> Alert:
        return Alert(
            key=key,
            id=alert_id,
            kind=KIND,
            product=m.product,
            category=None,
            severity=severity,
            state=AlertState.FIRING,
            window_start=m.window_start,
            window_end=m.window_end,
            count=m.count,
            baseline=round(m.usual, 3),
            complainants=m.complainants,
            started_at=started_at,
            updated_at=now,
            score=round(m.score, 2),
            sources=m.sources,
            reasons=_reasons(m),
            samples=tuple(
                self.store.sample_posts(m.product, m.window_start, m.window_end, SAMPLES)
            ),
            labels={"product": m.product, "kind": KIND, "severity": severity.value},
        )
