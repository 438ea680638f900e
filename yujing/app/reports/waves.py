"""The waves a report speaks of: burst alerts active during the period, how fast people took them
up and dealt with them (the handling record), and the new words the detector saw in them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from yujing.alerts import Alert
from yujing.store import Store

from .period import Period

__all__ = ["WaveRow", "waves_of", "answered_spans", "new_terms"]


@dataclass(frozen=True)
class WaveRow:
    alert_id: str
    product: str
    category: str | None
    severity: str  # the alert's colour: blue, yellow, orange, red
    ended: bool  # the detector saw the wave end (the alert resolved itself)
    started_at: datetime
    count: int  # complaints in the alert's window, as it last said
    complainants: int
    acknowledged_at: datetime | None  # both None when after the period's end
    resolved_at: datetime | None  # resolved in the handling record (yujing alert resolve)
    assignee: str | None
    false_alarm: str | None
    new_terms: tuple[str, ...]

    @property
    def open(self) -> bool:
        """Not resolved by a person by the period's end."""
        return self.resolved_at is None

    @property
    def to_acknowledge(self) -> timedelta | None:
        return None if self.acknowledged_at is None else self.acknowledged_at - self.started_at

    @property
    def to_resolve(self) -> timedelta | None:
        return None if self.resolved_at is None else self.resolved_at - self.started_at


def _active(alert: Alert, period: Period) -> bool:
    """Started before the period's end, and not ended by the detector before it began."""
    return alert.started_at < period.end and (
        alert.resolved_at is None or alert.resolved_at >= period.start
    )


def _by(at: datetime | None, end: datetime) -> datetime | None:
    """A handling time as known at the period's end: later ones had not happened yet."""
    return at if at is not None and at < end else None


def waves_of(store: Store, period: Period, products: set[str]) -> list[WaveRow]:
    """Burst alerts of ``products`` active in the period, oldest first."""
    rows = []
    for alert in store.alerts.all():
        if alert.kind != "burst" or alert.product not in products or not _active(alert, period):
            continue
        times = store.handling.times(alert.id)
        burst = alert.burst
        terms = alert.labels.get("new_terms", "")
        rows.append(
            WaveRow(
                alert_id=alert.id,
                product=alert.product,
                category=alert.category,
                severity=alert.severity.value,
                ended=alert.resolved_at is not None and alert.resolved_at < period.end,
                started_at=alert.started_at,
                count=burst.count if burst else 0,
                complainants=burst.complainants if burst else 0,
                acknowledged_at=_by(times.acknowledged_at, period.end),
                resolved_at=_by(times.resolved_at, period.end),
                assignee=times.assignee,
                false_alarm=times.false_alarm,
                new_terms=tuple(t for t in terms.split(",") if t),
            )
        )
    return sorted(rows, key=lambda w: (w.started_at, w.alert_id))


def answered_spans(store: Store, end: datetime) -> list[tuple[str, str | None, datetime, datetime]]:
    """(product, category, from, to) of every burst wave a person resolved before ``end``: the
    complaints it held count as answered."""
    spans = []
    for alert in store.alerts.all():
        if alert.kind != "burst":
            continue
        resolved = store.handling.times(alert.id).resolved_at
        if resolved is None or resolved >= end:
            continue
        since = alert.burst.window_start if alert.burst else alert.started_at
        until = alert.resolved_at or alert.updated_at
        spans.append((alert.product, alert.category, since, until))
    return spans


def new_terms(waves: Iterable[WaveRow], limit: int = 10) -> list[tuple[str, int]]:
    """The detector's emerging terms of the period's waves, by how many waves named them."""
    counts = Counter(term for wave in waves for term in wave.new_terms)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
