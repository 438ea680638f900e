"""Posts per second through ``yujing ingest``, beside the understanding stage alone.

    python benchmarks/ingest_speed.py                  # 50,000 calls
    python benchmarks/ingest_speed.py --posts 200000

The input is a JSONL transcript export of realistic Chinese calls (30-300 characters, each made
unique). Printed in the same run, on the same posts:

* the understanding stage alone (``Understander.understand`` over the parsed posts): the
  baseline, since it is work ``ingest`` must do for every post whatever else it does;
* understanding plus copy detection (``Identity``), without the store: what ``ingest`` must
  do for every post besides storing it, so the most it could reach;
* ``yujing ingest`` as the command runs it (``ingest_files`` into a fresh store through the
  daemon's ``Intake``: read, decode, parse, understand, identify, commit), with batched
  commits (the default) and, for comparison, one commit per post (``--batch 1``'s path).

The goal is ``ingest`` at 0.8 of the understanding stage or better.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from random import Random

from yujing.app.intake import Intake
from yujing.config import load_config
from yujing.crawlers.inbox import ingest_files
from yujing.detector.identity import Identity
from yujing.detector.understand import understander_for
from yujing.records import Post
from yujing.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import START, make_posts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SALT = "bench-salt"


def write_export(path: Path, posts: list[Post]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i, p in enumerate(posts):
            record = {
                "id": f"call-{i}",
                "text": p.text,
                "caller": f"138{i % 100_000_000:08d}",
                "time": p.published_at.isoformat(),
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


class OnePerCommit:
    """The sink as ``ingest`` used it before batching: each post its own transaction."""

    def __init__(self, intake: Intake):
        self.intake = intake

    def __call__(self, post: Post) -> bool:
        return self.intake.accept(post)


def run_ingest(config, export: Path, folder: Path, batched: bool) -> tuple[float, int]:
    store = Store(folder / "store.db")
    try:
        intake = Intake(understander_for(config), store)
        sink = intake if batched else OnePerCommit(intake)
        start = time.perf_counter()
        result = ingest_files([export], sink, source_name="hotline", salt=SALT)
        elapsed = time.perf_counter() - start
    finally:
        store.close()
    return elapsed, result.accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=50_000)
    args = parser.parse_args()

    config = load_config(ROOT / "config" / "demo.yaml")
    posts = make_posts(Random(7), 0, args.posts, timedelta(days=30) / args.posts)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export = folder / "calls.jsonl"
        write_export(export, posts)
        size_mb = export.stat().st_size / 2**20

        # The baseline: the same texts as the posts ingest makes of them, understood alone.
        parsed: list[Post] = []
        ingest_files([export], parsed.append, source_name="hotline", salt=SALT)
        understander = understander_for(config)
        start = time.perf_counter()
        scored = [understander.understand(post) for post in parsed]
        understand_s = time.perf_counter() - start
        # What ingest does besides understanding that is not storage: copy detection.
        identity = Identity()
        start = time.perf_counter()
        for sp in scored:
            verdict = identity.classify(sp)
            if verdict.same_as is None:
                identity.remember(replace(sp, text_id=verdict.text_id), verdict.sketch)
        identify_s = time.perf_counter() - start

        runs = {}
        for name, batched in (("batched", True), ("one commit per post", False)):
            sub = folder / name.replace(" ", "-")
            sub.mkdir()
            runs[name] = run_ingest(config, export, sub, batched)

    n = len(parsed)
    base = n / understand_s
    print(
        f"{n:,} calls, {size_mb:.1f} MB of JSONL; posts/s on one core (first posts from {START:%Y-%m-%d})"
    )
    print(f"{'understanding stage alone (baseline)':44}{base:>10,.0f}")
    both = n / (understand_s + identify_s)
    print(
        f"{'understanding + copy detection, no store':44}{both:>10,.0f}   {both / base:.2f} of the "
        "baseline (the most ingest could reach)"
    )
    for name, (elapsed, accepted) in runs.items():
        rate = n / elapsed
        print(
            f"{'yujing ingest, ' + name:44}{rate:>10,.0f}   {rate / base:.2f} of the baseline"
            f"   ({accepted:,} new)"
        )
    print("goal: yujing ingest (batched) at 0.80 of the baseline or better")


if __name__ == "__main__":
    main()
