"""Understanding one post: clean text, products named, sentiment, collective language."""

from __future__ import annotations

from collections.abc import Iterable

from yujing.config import Product
from yujing.records import Post, ScoredPost

from .normalize import dedup_key, normalize
from .products import ProductTagger
from .sentiment import SentimentScorer
from .signals import has_collective_language

__all__ = ["Understander"]


class Understander:
    def __init__(self, products: Iterable[Product], scorer: SentimentScorer | None = None):
        self.tagger = ProductTagger(products)
        self.scorer = scorer or SentimentScorer()

    def understand(self, post: Post) -> tuple[ScoredPost, str]:
        """The scored post (carrying normalised title and text) and its dedup key."""
        title, text = normalize(post.title), normalize(post.text)
        # Titles often carry the product name and the anger, so both are read together.
        whole = f"{title} {text}".strip()
        scored = ScoredPost(
            post=post.with_text(title, text),
            products=self.tagger.tag(whole),
            categories=(),  # the complaint-category taxonomy is not defined yet
            sentiment=self.scorer.score(whole),
            collective=has_collective_language(whole),
        )
        return scored, dedup_key(title, text)
