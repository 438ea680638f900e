"""Sentiment of a post: snownlp's probability that the text is positive."""

from __future__ import annotations

from functools import lru_cache

from snownlp import SnowNLP

__all__ = ["SentimentScorer", "NEGATIVE_BELOW", "POSITIVE_ABOVE"]

NEGATIVE_BELOW = 0.4  # the store counts sentiment < 0.4 as negative; keep the two in step
POSITIVE_ABOVE = 0.6

# snownlp multiplies per-word likelihoods, so a long text is as decided as its first few
# thousand characters; cutting there bounds the cost of a pasted contract or transcript.
_MAX_CHARS = 4000


class SentimentScorer:
    """Scores text 0..1 (1 = positive). Cached because the same text arrives again from
    reposts, re-crawls and replays, and snownlp is slow."""

    def __init__(self, cache_size: int = 4096):
        self._cached = lru_cache(maxsize=cache_size)(self._compute)

    @staticmethod
    def _compute(text: str) -> float:
        if not text.strip():
            return 0.5  # nothing said is neither praise nor complaint
        return float(SnowNLP(text[:_MAX_CHARS]).sentiments)

    def score(self, text: str) -> float:
        return self._cached(text)

    __call__ = score

    @staticmethod
    def label(score: float) -> str:
        if score < NEGATIVE_BELOW:
            return "negative"
        if score > POSITIVE_ABOVE:
            return "positive"
        return "neutral"
