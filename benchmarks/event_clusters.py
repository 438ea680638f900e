"""How well complaints are grouped into events, and how fast, on texts never tuned on.

    python benchmarks/event_clusters.py              # the held-out part
    python benchmarks/event_clusters.py --split train

Reads ``tests/data/events.tsv`` (original labelled complaint texts in events, Apache-2.0): for
the chosen part (by default ``held``, never read when the clustering was tuned), each product's
complaints are fed to ``detector.events.EventClusters`` in a fixed shuffled order, one post every
few minutes over days, as a live stream brings them. Printed in the same run:

* B-cubed precision, recall and F1 of the events found against the labelled ones (a one-off
  complaint, labelled ``none``, is an event of its own), per product and over all;
* the same for one cluster per complaint category of the shipped config (the grouping alerts
  had before events): the baseline;
* posts clustered per second on one core (CPU time, best of 3).

Goal: B-cubed F1 >= 0.8; >= 2,000 posts/s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from yujing.config import load_config
from yujing.detector.categories import CategoryTagger
from yujing.detector.events import JOIN
from yujing.detector.events.tuning import bcubed, clustered, product_names, read_events, stream
from yujing.detector.normalize import normalize
from yujing.records import ScoredPost

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "events.tsv"
PRODUCTS = ROOT / "tests" / "data" / "complaint_gate_products.yaml"

Item = tuple[str, str, ScoredPost]  # product, labelled event, post


def by_category(items: Sequence[Item]) -> list[str]:
    """One cluster per product and first complaint category: what alerts grouped by before."""
    tagger = CategoryTagger(load_config(ROOT / "config" / "yujing.yaml").categories)
    out = []
    for product, _, post in items:
        cats = tagger.tag_normalized(normalize(post.post.text))
        out.append(f"{product}/{cats[0] if cats else '-'}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("held", "train", "all"), default="held")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    items = stream([r for r in read_events(args.data) if args.split in ("all", r.split)])
    gold = [g for _, g, _ in items]
    names = product_names(PRODUCTS)
    events = len({g for g in gold if not g.startswith("none/")})
    print(f"{args.split} part: {len(items)} complaints, {events} labelled events\n")
    print("B-cubed, all products")
    found = clustered(items, names, JOIN)
    for label, mine in (
        ("events (shipped)", found),
        ("one per category (before)", by_category(items)),
    ):
        p, r, f1 = bcubed(mine, gold)
        print(
            f"  {label:26} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  ({len(set(mine))} found)"
        )
    print("\nper product: posts, labelled events, events found, B-cubed F1")
    for product in sorted({p for p, _, _ in items}):
        idx = [k for k, (p, _, _) in enumerate(items) if p == product]
        g, m = [gold[k] for k in idx], [found[k] for k in idx]
        labelled = len({x for x in g if not x.startswith("none/")})
        print(f"  {product:14} {len(idx):5} {labelled:4} {len(set(m)):5}  {bcubed(m, g)[2]:.3f}")
    print("\nspeed")
    best = 1e9
    for _ in range(3):
        start = time.process_time()
        clustered(items, names, JOIN)
        best = min(best, time.process_time() - start)
    print(f"  {len(items) / best:8,.0f} posts/s (CPU time, one core, best of 3)")


if __name__ == "__main__":
    main()
