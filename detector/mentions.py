"""What a burst counts: complaints. Every other post naming a product is a mention.

A 群体投诉 burst is complaints by people. A praise or marketing campaign, a flood of neutral
questions after a product launch, a news story or an announcement reprinted by many accounts:
all name the product, none is a complaint, and none may raise a complaint alert. So a post
counts in a product's burst series only when the complaint gate (``complaint``) read it as one
when it was understood; the decision travels on the record (``ScoredPost.complaint``).

A record the gate never read (stored before it existed, or built with its own tags) counts as
such posts counted before: negative in tone, or tagged with a complaint category and not
positive (``by_sentiment``), so a store's history keeps the meaning it was learned with.

Mentions are still counted, per product and bucket, as public attention: an alert says how much
the product is talked about besides the complaints, but mentions alone never fire.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from yujing.records import ScoredPost

from .sentiment import NEGATIVE_BELOW, POSITIVE_ABOVE

__all__ = ["by_sentiment", "is_complaint", "Mentions"]


def is_complaint(scored: ScoredPost) -> bool:
    if scored.complaint is not None:
        return scored.complaint
    return by_sentiment(scored.sentiment, scored.categories)


def by_sentiment(sentiment: float, categories: tuple[str, ...] | list[str]) -> bool:
    """The rule before the gate: negative in tone, or a complaint category and not positive."""
    if sentiment < NEGATIVE_BELOW:
        return True
    return bool(categories) and sentiment <= POSITIVE_ABOVE


class Mentions:
    """Posts naming each product, per bucket, for the last ``keep`` buckets (bounded memory)."""

    def __init__(self, keep: int = 64):
        self.keep = keep
        self.counts: dict[str, Counter[int]] = {}

    def add(self, product: str, bucket: int) -> None:
        c = self.counts.setdefault(product, Counter())
        c[bucket] += 1
        if len(c) > self.keep:
            newest = max(c)
            for old in [b for b in c if b <= newest - self.keep]:
                del c[old]

    def named_since(self, product: str, bucket: int) -> int:
        """The earliest of the last ``keep`` buckets before ``bucket`` in which the product was
        named: since then posts about it were being seen, so a bucket without a complaint about
        it is a real zero. (A lone old post, a pinned thread, says nothing of that.)"""
        c = self.counts.get(product)
        seen = [b for b in c if bucket - self.keep < b <= bucket] if c else []
        return min(seen, default=bucket)

    def between(self, product: str, lo: int, hi: int) -> int:
        """Mentions in buckets ``lo`` to ``hi``, both included."""
        c = self.counts.get(product)
        return sum(n for b, n in c.items() if lo <= b <= hi) if c else 0

    def dump(self) -> dict[str, Any]:
        return {p: {str(b): n for b, n in c.items()} for p, c in self.counts.items()}

    def load(self, data: dict[str, Any]) -> None:
        self.counts = {p: Counter({int(b): int(n) for b, n in c.items()}) for p, c in data.items()}
