"""One pass over the stored posts for a report: complaints and the people behind them, per day,
product and channel, their tone, their dispute type and line, and those still unanswered.

A complaint is a stored post that names a watched product and that the complaint gate read as a
complaint (``detector.mentions.is_complaint``, the rule bursts count by). A person is an author
hash; a post without one (a call that left no number) counts as a person of its own, as alerts
count them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from yujing.config import DISPUTES, Config
from yujing.detector.mentions import is_complaint
from yujing.detector.sentiment import label
from yujing.records import ScoredPost, format_time

from .period import Period

__all__ = [
    "DEADLINES",
    "DISPUTE_ORDER",
    "NO_LINE",
    "SENTIMENTS",
    "Covered",
    "PostTally",
    "dispute_of",
    "person_of",
    "tally_posts",
    "tone_of",
]

# The days a complaint must be answered in: 15, 30 when extended, 60 at the very most.
DEADLINES = (15, 30, 60)
SENTIMENTS = ("负面", "中性", "正面")
# When a complaint's categories fall in several dispute types, it counts under the first here.
DISPUTE_ORDER = ("claims", "sales", "surrender", "other")
NO_LINE = "未分类"


def person_of(doc: Mapping[str, Any]) -> str:
    return doc.get("author") or f"post:{doc['id']}"


_TONES = {"negative": "负面", "neutral": "中性", "positive": "正面"}


def tone_of(sentiment: float) -> str:
    return _TONES[label(sentiment)]


def dispute_of(categories: Iterable[str], disputes: Mapping[str, str]) -> str:
    """The dispute type's Chinese name: ``disputes`` maps category ids to dispute ids."""
    found = {disputes.get(c, "other") for c in categories}
    return DISPUTES[next((d for d in DISPUTE_ORDER if d in found), "other")]


class Covered:
    """Whether a complaint was answered: a wave resolved in the handling record by then holds it
    (same product, its category if the wave has one, published within the wave's window)."""

    def __init__(self, spans: Iterable[tuple[str, str | None, datetime, datetime]]):
        self._spans: dict[str, list[tuple[str | None, datetime, datetime]]] = defaultdict(list)
        for product, category, since, until in spans:
            self._spans[product].append((category, since, until))

    def __call__(self, products: Iterable[str], categories: Iterable[str], at: datetime) -> bool:
        cats = set(categories)
        return any(
            (category is None or category in cats) and since <= at <= until
            for product in products
            for category, since, until in self._spans.get(product, ())
        )


@dataclass
class PostTally:
    complaints: int = 0
    people: int = 0
    previous_complaints: int = 0
    previous_people: int = 0
    # Complaints per product and per channel, by the trend's step (``Period.bucket_of``).
    per_product: dict[str, Counter[datetime]] = field(default_factory=lambda: defaultdict(Counter))
    per_channel: dict[str, Counter[datetime]] = field(default_factory=lambda: defaultdict(Counter))
    # Posts naming a watched product in the period, complaints or not, by tone.
    sentiment: Counter[str] = field(default_factory=Counter)
    # Line -> dispute type -> complaints (a complaint naming two products counts in each line).
    disputes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # Complaints older than each deadline at the period's end that no resolved wave answers.
    overdue: dict[int, int] = field(default_factory=lambda: dict.fromkeys(DEADLINES, 0))
    overdue_by_product: dict[str, int] = field(default_factory=Counter)


def tally_posts(
    docs: Iterable[dict[str, Any]],
    config: Config,
    period: Period,
    products: set[str],
    covered: Covered,
) -> PostTally:
    """``docs``: stored posts published before the period's end, oldest first (more are ignored)."""
    lines = {p.id: p.line or NO_LINE for p in config.products}
    disputes = {c.id: c.dispute for c in config.categories}
    previous = period.previous()
    first_deadline = period.end - timedelta(days=DEADLINES[0])
    people: set[str] = set()
    previous_people: set[str] = set()
    out = PostTally()
    end = format_time(period.end)  # stored times are written so: they compare as text
    for doc in docs:
        if doc["published_at"] >= end:
            break
        # Read as a record only when it names a watched product: most posts of a store do not.
        named = [p for p in doc.get("products") or () if p in products]
        if not named:
            continue
        scored = ScoredPost.from_dict(doc)
        at = scored.post.published_at
        now = period.holds(at)
        if now:
            out.sentiment[tone_of(scored.sentiment)] += 1
        if not is_complaint(scored):
            continue
        if now:
            out.complaints += 1
            people.add(person_of(doc))
            step = period.bucket_of(at)
            for product in named:
                out.per_product[product][step] += 1
                out.disputes[lines.get(product, NO_LINE)][
                    dispute_of(scored.categories, disputes)
                ] += 1
            out.per_channel[scored.post.source][step] += 1
        elif previous.holds(at):
            out.previous_complaints += 1
            previous_people.add(person_of(doc))
        if at < first_deadline and not covered(named, scored.categories, at):
            age = period.end - at
            for days in DEADLINES:
                if age > timedelta(days=days):
                    out.overdue[days] += 1
            for product in named:
                out.overdue_by_product[product] += 1
    out.people, out.previous_people = len(people), len(previous_people)
    return out
