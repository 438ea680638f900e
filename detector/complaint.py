"""Is a post a complaint? The gate that decides what a burst counts.

The sentiment score alone cannot say: a launch reprinted by many accounts ("XX保险正式上线"), a
news line about accidents or illness, a regulator's notice about 拒赔 or an explainer on 退保 all
read negative to it, and none is anyone's grievance. So the gate weighs named evidence, each a
feature of the post:

* the tone: the shipped sentiment model's score (``negative_tone``, 0.5 - score, doubled);
* a complaint category of the config (``category``: the categories carry their own negations);
* complaint cues in groups: a grievance named (拒赔 误导 乱扣费 ...), waiting (拖了 还没到账 ...),
  money lost (只退了 少赔 ...), anger (坑 骗 垃圾 避雷 ...), action (投诉 维权 起诉 ...), a
  challenge put as a question (算什么 谁来补 谁授权 ...), sarcasm ("好"保险, 呵呵), a first-person
  writer (我 我妈 家人们 ...), a call summary's opening (客户来电 客户反映 ...), an exclamation mark,
  buying set against claiming (买的时候是亲人，赔的时候是仇人), praise beside a grievance;
* non-complaint cues in groups: asking (请问 怎么 吗 ...), announcing (推出 上线 开售 ...),
  reprinting (转发 转载 ...), explaining (解读 一文 科普 是指 ...), news and regulators (监管 通报
  数据显示 ...), advertising (限时 优惠 扫码 ...), praise and thanks (感谢 顺利 点赞 ...), notices
  (温馨提示 维护 招聘 ...), a call settled (已告知 已登记 无其他诉求 ...);
* the wording: how often complaints and other texts of the training part use each letter and
  pair of letters of the post (``wording``), a Naive-Bayes log-ratio summed over the post. The
  letters and pairs are the ones the sentiment model reads (``sentiment.model_features``: marked
  when negated, so 不赔 and 不是不赔 weigh apart), handed over by the scorer so a post is analysed
  once for both. It catches what no cue list names (查勘员放鸽子, 转来转去); ``explain`` lists
  the letters and pairs that weighed.

A cue right after a denial or worry (没有拒赔, 担心被拒赔: ``categories.NEGATION_CUES``) is not a
grievance: it counts as ``denied`` instead. Praise under a denial (不专业, 没有及时) is a
grievance. The weights are a logistic regression fitted on the training part of
``tests/data/complaint_gate.tsv`` (``python -m yujing.detector.complaint_train``), its decision
threshold chosen there by cross-validation; the held-out part is read only by
``benchmarks/complaint_gate.py``. The fitted numbers ship in ``models/complaint_gate.json``: a
decision is a sum of a score per feature, and ``explain`` lists them.

One Aho-Corasick pass finds every cue and the wording is a sum over features already read, so
the gate costs microseconds a post.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .complaint_cues import CUES, FEATURES, active_features, features, wording
from .sentiment import model_features
from .terms import fold_normalized

__all__ = [
    "CUES",
    "FEATURES",
    "GATE_PATH",
    "ComplaintGate",
    "Verdict",
    "active_features",
    "features",
    "shipped_gate",
    "wording",
]

GATE_PATH = Path(__file__).resolve().parent / "models" / "complaint_gate.json"
_FORMAT = "yujing-complaint-gate/3"


@dataclass(frozen=True, slots=True)
class Verdict:
    complaint: bool
    probability: float  # the model's probability that the post is a complaint
    contributions: tuple[tuple[str, float], ...]  # (feature, weight x value), largest first
    words: tuple[tuple[str, float], ...]  # the pairs of letters weighing most in ``wording``

    def reasons(self, n: int = 3) -> str:
        """The ``n`` features that weighed most, as a short line for people and logs."""
        return ", ".join(f"{name} {w:+.2f}" for name, w in self.contributions[:n])


class ComplaintGate:
    """A logistic regression over ``FEATURES``: complaint when its probability reaches
    ``threshold``. ``pairs`` weighs pairs of letters for the ``wording`` feature (log-ratios of
    how often complaints and other texts of the training part use them)."""

    def __init__(
        self,
        weights: Mapping[str, float],
        bias: float,
        threshold: float = 0.5,
        pairs: Mapping[str, float] | None = None,
        meta: Mapping[str, Any] | None = None,
    ):
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"complaint gate: unknown features {sorted(unknown)}")
        self.weights = {name: float(weights.get(name, 0.0)) for name in FEATURES}
        self.bias = float(bias)
        self.threshold = float(threshold)
        self.pairs = dict(pairs or {})
        self.meta = dict(meta or {})
        # The decision in log-odds: no logistic to compute for each post.
        self._cut = math.log(self.threshold / (1.0 - self.threshold))
        self._tone = 2.0 * self.weights["negative_tone"]
        self._wording = self.weights["wording"]

    def features(self, text: str, sentiment: float, categories: Sequence[str]) -> dict[str, float]:
        """``features`` of a normalised text, with its ``wording`` under this gate's pairs."""
        f = features(text, sentiment, categories)
        f["wording"] = wording(model_features(text), self.pairs)
        return f

    def score(self, feats: Mapping[str, float]) -> float:
        """Log-odds that the features are a complaint's."""
        w = self.weights
        return self.bias + sum(w[name] * v for name, v in feats.items() if v)

    def is_complaint(
        self,
        text: str,
        sentiment: float,
        categories: Sequence[str],
        units: Sequence[str] | None = None,
    ) -> bool:
        """``units``: the text's ``model_features`` when the sentiment scorer has them already
        (``SentimentScorer.read``); read again from the text when not given."""
        # ``score(features(...))`` without the dict of features: this runs for every post.
        if units is None:
            units = model_features(text)
        folded = fold_normalized(text)
        w = self.weights
        z = (
            self.bias
            + sum(map(w.__getitem__, active_features(folded, categories)))
            + self._tone * (0.5 - sentiment)
            + self._wording * wording(units, self.pairs)
        )
        return z >= self._cut

    def explain(self, text: str, sentiment: float, categories: Sequence[str]) -> Verdict:
        feats = self.features(text, sentiment, categories)
        z = self.score(feats)
        parts = [(name, self.weights[name] * v) for name, v in feats.items() if v]
        parts.sort(key=lambda p: -abs(p[1]))
        pairs = [(p, self.pairs[p]) for p in set(model_features(text)) if p in self.pairs]
        pairs.sort(key=lambda p: (-abs(p[1]), p[0]))
        return Verdict(z >= self._cut, _logistic(z), tuple(parts), tuple(pairs[:5]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "bias": round(self.bias, 6),
            "threshold": round(self.threshold, 6),
            "weights": {name: round(w, 6) for name, w in self.weights.items()},
            "pairs": {p: round(w, 4) for p, w in sorted(self.pairs.items())},
            "meta": self.meta,
        }

    def save(self, path: Path) -> None:
        # One line per entry, keys sorted: the file diffs well and is the same for the same model.
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=0, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ComplaintGate:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != _FORMAT:
            raise ValueError(f"{path}: not a {_FORMAT} model; rebuild it with complaint_train")
        return cls(
            data["weights"], data["bias"], data["threshold"], data.get("pairs"), data.get("meta")
        )


@lru_cache(maxsize=1)
def shipped_gate() -> ComplaintGate:
    # Loaded once per process, like the sentiment model.
    return ComplaintGate.load(GATE_PATH)


def _logistic(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
