"""Every number a report shows, computed from the store in one place (``build_report``).

The renderers (HTML, PDF, chat summaries) only lay these out: none counts anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yujing.config import Config
from yujing.store import Store

from .complaints import DEADLINES, SENTIMENTS, Covered, PostTally, tally_posts
from .period import Period
from .sources import SourceRow, source_rows
from .waves import WaveRow, answered_spans, new_terms, waves_of

__all__ = ["Change", "Report", "build_report"]


@dataclass(frozen=True)
class Change:
    now: int
    before: int

    @property
    def delta(self) -> int:
        return self.now - self.before

    @property
    def percent(self) -> float | None:
        """The change in per cent of the period before; None when that had none."""
        return None if self.before == 0 else 100.0 * self.delta / self.before

    def words(self) -> str:
        """环比 in words: "较上期 +12（+35%）", "较上期持平", "上期为 0"."""
        if self.delta == 0:
            return "较上期持平"
        if self.percent is None:
            return f"较上期 +{self.delta}（上期为 0）"
        return f"较上期 {self.delta:+d}（{self.percent:+.0f}%）"


@dataclass(frozen=True)
class Report:
    period: Period
    product: str | None  # the one product asked for, or None: every watched product
    names: dict[str, str]  # product id -> name
    lines: dict[str, str | None]  # product id -> line of insurance, when the config gives one
    category_names: dict[str, str]  # complaint category id -> name
    complaints: Change
    people: Change
    # Complaints per product and per source, by the trend's step (an hour, or a day in a week).
    per_product: dict[str, dict[datetime, int]]
    per_channel: dict[str, dict[datetime, int]]
    sentiment: dict[str, int]  # posts naming the products, by tone (SENTIMENTS)
    disputes: dict[str, dict[str, int]]  # line -> dispute type -> complaints
    waves: list[WaveRow]
    overdue: dict[int, int]  # deadline in days -> complaints unanswered past it
    overdue_by_product: dict[str, int]  # complaints unanswered past the first deadline
    sources: list[SourceRow]
    new_terms: list[tuple[str, int]]  # the detector's emerging terms, by waves naming them

    @property
    def empty(self) -> bool:
        """Nothing to tell: no complaint and no wave in the period."""
        return self.complaints.now == 0 and not self.waves

    @property
    def open_waves(self) -> list[WaveRow]:
        return [w for w in self.waves if w.open]

    @property
    def resolved_waves(self) -> list[WaveRow]:
        return [w for w in self.waves if not w.open]


def _steps(counts: dict, period: Period) -> dict[str, dict[datetime, int]]:
    """Every step of the period, zero where nothing came, in a stable order of names."""
    steps = period.buckets()
    return {name: {s: counts[name].get(s, 0) for s in steps} for name in sorted(counts)}


def build_report(store: Store, config: Config, period: Period, product: str | None) -> Report:
    """The report of ``period`` for one product, or every product in the config."""
    names = {p.id: p.name for p in config.products}
    if product is not None and product not in names:
        raise ValueError(
            f"unknown product {product!r}; products: in the config has: {', '.join(names)}"
        )
    products = {product} if product else set(names)
    covered = Covered(answered_spans(store, period.end))
    tally: PostTally = tally_posts(
        store.posts.published_since(None), config, period, products, covered
    )
    waves = waves_of(store, period, products)
    return Report(
        period=period,
        product=product,
        names=names,
        lines={p.id: p.line for p in config.products},
        category_names={c.id: c.name for c in config.categories},
        complaints=Change(tally.complaints, tally.previous_complaints),
        people=Change(tally.people, tally.previous_people),
        per_product=_steps(tally.per_product, period),
        per_channel=_steps(tally.per_channel, period),
        sentiment={tone: tally.sentiment.get(tone, 0) for tone in SENTIMENTS},
        disputes={line: dict(counts) for line, counts in sorted(tally.disputes.items())},
        waves=waves,
        overdue={days: tally.overdue[days] for days in DEADLINES},
        overdue_by_product=dict(sorted(tally.overdue_by_product.items())),
        sources=source_rows(store, config, period),
        new_terms=new_terms(waves),
    )
