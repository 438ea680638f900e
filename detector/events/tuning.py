"""The labelled events set, and the similarity at which a complaint joins an event, chosen on it.

    python -m yujing.detector.events.tuning     # from the root of a checkout

Reads ``tests/data/events.tsv`` (original complaint texts grouped into events, Apache-2.0). Its
``held`` rows are for ``benchmarks/event_clusters.py`` alone; this command reads only the
``train`` rows, feeds each product's complaints through ``EventClusters`` at each candidate
``JOIN`` and prints the B-cubed F1 of each, to choose the shipped value.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from yujing.records import Post, ScoredPost

from .cluster import EventClusters

__all__ = ["DATA", "LabelledPost", "bcubed", "held_out", "main", "read_events", "stream"]

DATA = Path("tests") / "data" / "events.tsv"
PRODUCTS = Path("tests") / "data" / "complaint_gate_products.yaml"
HELD_SHARE = 30  # percent of texts held out
START = datetime(2026, 3, 1, tzinfo=UTC)
CANDIDATES = (0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25)


@dataclass(frozen=True, slots=True)
class LabelledPost:
    event: str  # the event's id; "none" for a one-off complaint
    product: str
    channel: str
    split: str  # "train" or "held"
    text: str


def held_out(text: str) -> bool:
    """Whether a text belongs to the held-out part: fixed by a seeded hash of the text alone."""
    digest = hashlib.sha256(f"events/{text}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < HELD_SHARE


def read_events(path: Path = DATA) -> list[LabelledPost]:
    """The labelled posts of ``path`` (comment lines and the header skipped)."""
    out = []
    header = None
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = fields
                if header != ["event", "product", "channel", "split", "text"]:
                    raise ValueError(f"{path}:{n}: unexpected header {header}")
                continue
            if len(fields) != 5 or fields[3] not in ("train", "held"):
                raise ValueError(f"{path}:{n}: not five fields with a split: {line[:60]}")
            out.append(LabelledPost(*fields))
    return out


def product_names(path: Path = PRODUCTS) -> dict[str, list[str]]:
    """Each labelled product's name and aliases: never a word of its events."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {p["id"]: [p["name"], *p.get("aliases", [])] for p in data["products"]}


def stream(rows: Sequence[LabelledPost], seed: int = 7) -> list[tuple[str, str, ScoredPost]]:
    """``rows`` as one live stream of (product, labelled event, post): shuffled with a fixed
    seed, three minutes apart, each by an author of its own. A one-off complaint's event is
    its own (``none/N``)."""
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    out = []
    for n, r in enumerate(rows):
        at = START + timedelta(minutes=3 * n)
        author = hashlib.sha256(f"author/{n}".encode()).hexdigest()[:16]
        post = Post(r.channel, f"https://example.invalid/{n}", str(n), author, "", r.text, at, at)
        gold = r.event if r.event != "none" else f"none/{n}"
        out.append((r.product, gold, ScoredPost(post, (r.product,), (), 0.2, complaint=True)))
    return out


def clustered(
    items: Sequence[tuple[str, str, ScoredPost]], names: Mapping[str, Sequence[str]], join: float
) -> list[str]:
    """The event each item was placed in, in order."""
    clusters = EventClusters(names, join=join)
    found = []
    for n, (product, _, post) in enumerate(items):
        event = clusters.add(post, product)
        found.append(event.id if event else f"alone/{n}")
    return found


def bcubed(found: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of the clustering ``found`` against ``gold``."""
    by_found: Counter[str] = Counter(found)
    by_gold: Counter[str] = Counter(gold)
    both: Counter[tuple[str, str]] = Counter(zip(found, gold, strict=True))
    pairs = list(zip(found, gold, strict=True))
    precision = sum(both[(f, g)] / by_found[f] for f, g in pairs) / len(pairs)
    recall = sum(both[(f, g)] / by_gold[g] for f, g in pairs) / len(pairs)
    return precision, recall, 2 * precision * recall / (precision + recall)


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    if not DATA.is_file() or not PRODUCTS.is_file():
        print(f"{DATA}: not found; run this from the root of a yujing checkout", file=sys.stderr)
        return 2
    items = stream([r for r in read_events() if r.split == "train"])
    gold = [g for _, g, _ in items]
    names = product_names()
    for join in CANDIDATES:
        p, r, f1 = bcubed(clustered(items, names, join), gold)
        print(f"join {join:<5} B-cubed precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
