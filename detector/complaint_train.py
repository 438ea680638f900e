"""Fit the complaint gate (``detector.complaint``) on the training part of the labelled set.

    python -m yujing.detector.complaint_train            # from the root of a checkout
    python -m yujing.detector.complaint_train --errors   # and the training texts it gets wrong

Reads ``tests/data/complaint_gate.tsv`` (original text, Apache-2.0), keeps only its ``train``
rows (the ``held`` rows are for ``benchmarks/complaint_gate.py`` alone), reads each text as the
Understander does (normalised; sentiment from the shipped model; categories from the shipped
``config/categories.yaml``) and fits a logistic regression with an L2 penalty on its features.
The ``wording`` feature's weights (of the letters and pairs the sentiment model reads) are
counted from the training rows; the regression
learns its weight from values cross-fitted (each row's from weights counted without it), as it
will meet them on new posts.
The penalty and the decision threshold are chosen by 5-fold cross-validation inside the training
rows: the penalty with the best held-back log-loss, then the lowest threshold whose held-back
complaint precision is at least ``TARGET_PRECISION`` (a complaint alert must be trusted, so
precision is held and recall bought with what is left). Writes ``detector/models/
complaint_gate.json``, the same bytes for the same data. ``--errors`` prints the training
rows the cross-validated gate gets wrong, to see which kinds of text the features miss.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yujing.config import load_config

from .categories import CategoryTagger
from .complaint import FEATURES, ComplaintGate, features, wording
from .normalize import normalize
from .sentiment import SentimentScorer

__all__ = ["Example", "examples", "fit", "held_out", "main", "pair_weights", "read_set", "train"]

DATA = Path("tests") / "data" / "complaint_gate.tsv"
CONFIG = Path("config") / "yujing.yaml"
MODEL_PATH = Path("detector") / "models" / "complaint_gate.json"
FOLDS = 5
PENALTIES = (0.03, 0.1, 0.3)
MIN_PAIR_COUNT = 2
TARGET_PRECISION = 0.96
HELD_SHARE = 30  # percent of texts held out, by ``held_out``


@dataclass(frozen=True, slots=True)
class Example:
    complaint: bool
    kind: str
    split: str  # "train" or "held"
    products: tuple[str, ...]
    text: str


def held_out(text: str) -> bool:
    """Whether a text belongs to the held-out part: fixed by a seeded hash of the text alone."""
    digest = hashlib.sha256(f"complaint-gate/{text}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < HELD_SHARE


def read_set(path: Path = DATA) -> list[Example]:
    """The labelled set: one ``Example`` per row (comment lines and the header skipped)."""
    out = []
    with path.open(encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]
    header = lines[0].split("\t")
    if header != ["label", "kind", "split", "products", "text"]:
        raise ValueError(f"{path}: unexpected header {header}")
    for n, line in enumerate(lines[1:], start=2):
        label, kind, split, products, text = line.split("\t")
        if label not in ("complaint", "other") or split not in ("train", "held"):
            raise ValueError(f"{path}: row {n}: label or split not understood: {line[:60]}")
        ids = () if products == "-" else tuple(products.split(","))
        out.append(Example(label == "complaint", kind, split, ids, text))
    return out


def examples(
    rows: Sequence[Example], config: Path = CONFIG
) -> tuple[np.ndarray, np.ndarray, list[set[str]]]:
    """Features (``wording`` left 0), labels and letter pairs of ``rows``, each read as the
    Understander reads a post."""
    tagger = CategoryTagger(load_config(config).categories)
    scorer = SentimentScorer()
    x, pairs = [], []
    for row in rows:
        text = normalize(row.text)
        sentiment, units = scorer.read(text)
        f = features(text, sentiment, tagger.tag_normalized(text))
        x.append([f[name] for name in FEATURES])
        pairs.append(units)
    return np.array(x, dtype=float), np.array([r.complaint for r in rows], dtype=float), pairs


def pair_weights(pairs: Sequence[set[str]], y: np.ndarray, idx: Sequence[int]) -> dict[str, float]:
    """Naive-Bayes log-ratios of the letter pairs in rows ``idx`` (add-one smoothed, on the
    share of each class's texts using the pair). A pair seen fewer than ``MIN_PAIR_COUNT``
    times is left out: one text says nothing about a pair."""
    used: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for i in idx:
        used[bool(y[i])].update(set(pairs[i]))
    n_pos = sum(1 for i in idx if y[i])
    n_neg = len(idx) - n_pos
    out = {}
    for pair in sorted(used[True].keys() | used[False].keys()):
        pos, neg = used[True][pair], used[False][pair]
        if pos + neg >= MIN_PAIR_COUNT:
            out[pair] = math.log((pos + 1) / (n_pos + 2)) - math.log((neg + 1) / (n_neg + 2))
    return out


def cross_fitted(
    x: np.ndarray, y: np.ndarray, pairs: Sequence[set[str]], idx: np.ndarray
) -> np.ndarray:
    """``x[idx]`` with its ``wording`` column from pair weights fitted without each row: the
    regression must learn how far wording is to be trusted on texts it was not counted from."""
    out = x[idx].copy()
    col = FEATURES.index("wording")
    fold = np.arange(len(idx)) % FOLDS
    for k in range(FOLDS):
        weights = pair_weights(pairs, y, idx[fold != k])
        for j in np.where(fold == k)[0]:
            out[j, col] = wording(pairs[idx[j]], weights)
    return out


def with_wording(
    x: np.ndarray, pairs: Sequence[set[str]], idx: np.ndarray, weights: dict[str, float]
) -> np.ndarray:
    out = x[idx].copy()
    col = FEATURES.index("wording")
    for j, i in enumerate(idx):
        out[j, col] = wording(pairs[i], weights)
    return out


def fit(x: np.ndarray, y: np.ndarray, penalty: float, steps: int = 100) -> np.ndarray:
    """Weights (bias last) of an L2-penalised logistic regression, by Newton's method."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    ridge = np.eye(xb.shape[1]) * penalty * len(x) / 100.0
    ridge[-1, -1] = 0.0  # the bias is not penalised
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + ridge @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + ridge
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def cross_validate(
    x: np.ndarray, y: np.ndarray, pairs: Sequence[set[str]], penalty: float
) -> np.ndarray:
    """Out-of-fold probabilities of each training row, the whole fitting (pair weights
    included) redone without the fold."""
    fold = np.arange(len(x)) % FOLDS  # rows are in file order, kinds interleave across folds
    prob = np.zeros(len(x))
    for k in range(FOLDS):
        train_idx, test_idx = np.where(fold != k)[0], np.where(fold == k)[0]
        w = fit(cross_fitted(x, y, pairs, train_idx), y[train_idx], penalty)
        xt = with_wording(x, pairs, test_idx, pair_weights(pairs, y, train_idx))
        prob[test_idx] = 1.0 / (1.0 + np.exp(-(xt @ w[:-1] + w[-1])))
    return prob


def choose_threshold(prob: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(threshold, precision, recall): the lowest threshold reaching ``TARGET_PRECISION``."""
    for t in np.arange(0.05, 0.96, 0.01):
        said = prob >= t
        tp = float((said & (y == 1)).sum())
        if said.sum() and tp / said.sum() >= TARGET_PRECISION:
            return float(t), tp / float(said.sum()), tp / float((y == 1).sum())
    return 0.5, 0.0, 0.0


def train(rows: Sequence[Example], config: Path = CONFIG) -> ComplaintGate:
    """The gate fitted on the ``train`` rows of ``rows`` (any others are dropped first)."""
    train_rows = [r for r in rows if r.split == "train"]
    x, y, pairs = examples(train_rows, config)
    losses = {}
    for penalty in PENALTIES:
        p = np.clip(cross_validate(x, y, pairs, penalty), 1e-9, 1 - 1e-9)
        losses[penalty] = float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
    penalty = min(PENALTIES, key=lambda c: (losses[c], c))
    prob = cross_validate(x, y, pairs, penalty)
    threshold, precision, recall = choose_threshold(prob, y)
    everything = np.arange(len(x))
    w = fit(cross_fitted(x, y, pairs, everything), y, penalty)
    meta = {
        "trained_on": f"{DATA.as_posix()}: {len(train_rows)} training rows "
        f"({int(y.sum())} complaints); the held-out rows were not read",
        "penalty": penalty,
        "cross_validation": {
            "log_loss": {str(c): round(v, 4) for c, v in losses.items()},
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "target_precision": TARGET_PRECISION,
        },
        "licence": "Apache-2.0 (yujing's labelled set)",
    }
    weights = {name: float(w[i]) for i, name in enumerate(FEATURES)}
    return ComplaintGate(
        weights, float(w[-1]), round(threshold, 2), pair_weights(pairs, y, everything), meta
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument(
        "--errors",
        action="store_true",
        help="also print the training texts the cross-validated gate gets wrong (never the "
        "held-out ones): what the features miss",
    )
    args = ap.parse_args(argv)
    if not DATA.is_file() or not CONFIG.is_file():
        print(
            f"{DATA} or {CONFIG}: not found; run this from the root of a yujing checkout "
            "(it reads tests/data and config and writes detector/models there)",
            file=sys.stderr,
        )
        return 2
    gate = train(read_set())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    gate.save(args.out)
    cv = gate.meta["cross_validation"]
    print(
        f"{args.out}: penalty {gate.meta['penalty']}, threshold {gate.threshold}; "
        f"cross-validated on the training rows: precision {cv['precision']}, "
        f"recall {cv['recall']}",
        file=sys.stderr,
    )
    for name, w in sorted(gate.weights.items(), key=lambda kv: -abs(kv[1])):
        print(f"  {name:14} {w:+.3f}", file=sys.stderr)
    print(f"  {'bias':14} {gate.bias:+.3f}", file=sys.stderr)
    if args.errors:
        print_errors([r for r in read_set() if r.split == "train"], gate)
    return 0


def print_errors(rows: Sequence[Example], gate: ComplaintGate) -> None:
    """The rows whose out-of-fold probability falls on the wrong side of the gate's threshold,
    most confidently wrong first: missed complaints (FN) and texts counted that are none (FP)."""
    x, y, units = examples(rows)
    prob = cross_validate(x, y, units, gate.meta["penalty"])
    wrong = [i for i in range(len(rows)) if (prob[i] >= gate.threshold) != rows[i].complaint]
    wrong.sort(key=lambda i: -abs(prob[i] - gate.threshold))
    for i in wrong:
        mark = "FN" if rows[i].complaint else "FP"
        print(f"{mark} {prob[i]:.2f} {rows[i].kind:14} {rows[i].text}")


if __name__ == "__main__":
    raise SystemExit(main())
