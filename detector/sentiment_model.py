"""snownlp's Naive-Bayes sentiment classifier, trained on our features and read fast.

The arithmetic is exactly snownlp's ``classification.bayes.Bayes`` with its ``AddOneProb``
smoothing: a feature first seen in a class counts one extra, and a feature a class never saw
has probability ``1 / total``. With two classes the posterior of "pos" is a logistic function
of a sum of per-feature log-ratios, so the trained model is stored as that table: scoring is
one dict lookup per feature instead of two logs and two method calls per feature and class.

Three additions, all outside the Bayes arithmetic:
- neutral training texts count half to each class, which drives the weights of features
  that are common in neutral text (请问, 吗, 怎么) towards zero;
- the log-odds are divided by ``length ** length_power`` and multiplied by ``temperature``
  before the logistic. Naive Bayes over overlapping n-grams is wildly over-confident and
  the more so the longer the text; this only rescales, so the ranking of texts is Bayes'
  own, but a 0.4/0.6 band means something. Both are fitted on training data;
- a second table of the same kind, neutral against polar text, that ``SentimentModel``
  consults for questions and consultations only and that pulls their score towards 0.5.

The file holds both tables: a JSON header line with each table's parameters and row count,
then ``feature<TAB>weight`` rows, the polarity table's first.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LABELS", "Counts", "NaiveBayesModel", "SentimentModel", "count", "fit", "train"]

LABELS = ("neg", "pos", "neu")
_FORMAT = "yujing-sentiment-nb/2"


@dataclass
class NaiveBayesModel:
    prior: float  # log P(pos) - log P(neg), as snownlp computes it from feature totals
    unseen: float  # log-ratio of a feature neither class saw: log(total_neg / total_pos)
    weights: dict[str, float]  # per feature: its log-ratio minus ``unseen``
    temperature: float = 1.0
    length_power: float = 0.0
    bias: float = 0.0  # added to the rescaled log-odds; fitted for the neutral stage only

    def log_odds(self, feats: Sequence[str]) -> float:
        """snownlp Bayes' log P(pos|x) - log P(neg|x), uncalibrated."""
        # filter(None, ...) drops the Nones of unknown features in C; a stored weight is
        # never exactly 0.0 (see train), so nothing known is dropped.
        known = sum(filter(None, map(self.weights.get, feats)))
        return self.prior + self.unseen * len(feats) + known

    def prob(self, feats: Sequence[str]) -> float:
        """Calibrated probability that the text is positive."""
        if not feats:
            return 0.5
        z = self.log_odds(feats) * self.temperature / (len(feats) ** self.length_power)
        return _logistic(z + self.bias)

    def _params(self) -> dict[str, float]:
        return {
            "prior": self.prior,
            "unseen": self.unseen,
            "temperature": self.temperature,
            "length_power": self.length_power,
            "bias": self.bias,
        }


@dataclass
class SentimentModel:
    """The shipped model: polarity Bayes, then an optional neutral stage.

    ``neutral`` is a second Naive Bayes of the same kind whose "pos" class is neutral text
    and whose "neg" class is polar (complaint or praise) text. It is consulted only for
    texts that read as a question or consultation and carry no complaint cue (see
    ``sentiment_features.analyse``), and then pulls the polarity score towards 0.5 by its
    probability of neutral: ``0.5 + (p - 0.5) * (1 - p_neutral)``. The pull never crosses
    0.5, so which side of 0.5 a text lands on is the polarity model's alone.
    """

    polarity: NaiveBayesModel
    neutral: NaiveBayesModel | None = None
    meta: dict[str, object] = field(default_factory=dict)

    def prob(
        self, feats: Sequence[str], questions: Sequence[str] = (), complaint: bool = True
    ) -> float:
        """Probability that the text is positive, after the neutral stage."""
        p = self.polarity.prob(feats)
        if self.neutral is None or complaint or not questions:
            return p
        return 0.5 + (p - 0.5) * (1.0 - self.neutral.prob([*feats, *questions]))

    def save(self, path: Path) -> None:
        """Write gzip'd text, byte-identical for the same model (no name or time in the header)."""
        tables = {"polarity": self.polarity}
        if self.neutral is not None:
            tables["neutral"] = self.neutral
        buf = io.StringIO()
        header = {
            "format": _FORMAT,
            "tables": {name: {**m._params(), "rows": len(m.weights)} for name, m in tables.items()},
            "meta": self.meta,
        }
        buf.write(json.dumps(header, ensure_ascii=False, sort_keys=True) + "\n")
        for m in tables.values():  # polarity rows, then neutral rows
            for feat in sorted(m.weights):
                buf.write(f"{feat}\t{m.weights[feat]:.4g}\n")
        raw = buf.getvalue().encode("utf-8")
        with open(path, "wb") as f, gzip.GzipFile(filename="", fileobj=f, mode="wb", mtime=0) as gz:
            gz.write(raw)

    @classmethod
    def load(cls, path: Path) -> SentimentModel:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            header = json.loads(f.readline())
            if header.get("format") != _FORMAT:
                raise ValueError(f"{path}: not a {_FORMAT} model")
            tables: dict[str, NaiveBayesModel] = {}
            for name in ("polarity", "neutral"):
                if name not in header["tables"]:
                    continue
                params = dict(header["tables"][name])
                weights: dict[str, float] = {}
                for _ in range(params.pop("rows")):
                    feat, _, w = f.readline().rstrip("\n").rpartition("\t")
                    weights[feat] = float(w)
                tables[name] = NaiveBayesModel(weights=weights, **params)
        return cls(tables["polarity"], tables.get("neutral"), meta=header["meta"])


def _logistic(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


Counts = dict[str, Counter[str]]  # class ("neg", "pos") -> feature -> weighted count


def count(
    docs: Iterable[tuple[str, str, float]],
    featurize: Callable[[str], list[str]],
    into: Counts | None = None,
) -> Counts:
    """Count features as snownlp's Bayes.train does; ``docs`` are (label, text, weight).

    ``weight`` repeats a document (domain text is scarce and counts more); label "neu" adds
    half the weight to each class. Counting into an existing ``into`` adds to it (counts
    are sums, so training on A then B is training on A + B).
    """
    counts = into if into is not None else {"neg": Counter[str](), "pos": Counter[str]()}
    for label, text, weight in docs:
        feats = featurize(text)
        if label == "neu":
            for cls in ("neg", "pos"):
                for feat in feats:
                    counts[cls][feat] += weight / 2
        else:
            c = counts[label]
            for feat in feats:
                c[feat] += weight
    return counts


def fit(counts: Counts, *, min_count: int = 2) -> NaiveBayesModel:
    """The log-ratio table of ``counts``. Features seen fewer than ``min_count`` times in
    all are dropped: they fall back to the unseen ratio, which keeps the model small."""
    # AddOneProb: every distinct feature a class saw adds 1 to its count and to the total.
    totals = {cls: sum(c.values()) + len(c) for cls, c in counts.items()}
    all_total = totals["neg"] + totals["pos"]
    prior = math.log(totals["pos"] / all_total) - math.log(totals["neg"] / all_total)
    unseen = math.log(totals["neg"]) - math.log(totals["pos"])
    weights: dict[str, float] = {}
    neg_c, pos_c = counts["neg"], counts["pos"]
    # sorted: the table's insertion order, and so everything downstream, is the same each run
    for feat in sorted(neg_c.keys() | pos_c.keys()):
        cn, cp = neg_c.get(feat, 0.0), pos_c.get(feat, 0.0)
        if cn + cp < min_count:
            continue
        # log((cp+1)/T_pos) - log((cn+1)/T_neg), minus the unseen ratio; a class that never
        # saw the feature has count 1 (AddOneProb's "none"), not cp+1.
        w = math.log(cp + 1 if cp else 1) - math.log(cn + 1 if cn else 1)
        if w:
            weights[feat] = w
    return NaiveBayesModel(prior=prior, unseen=unseen, weights=weights)


def train(
    docs: Iterable[tuple[str, str, float]],
    featurize: Callable[[str], list[str]],
    *,
    min_count: int = 2,
) -> NaiveBayesModel:
    """``fit(count(docs, featurize))``: snownlp's Bayes training on our features."""
    return fit(count(docs, featurize), min_count=min_count)
