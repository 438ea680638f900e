"""Posts per second through ``yujing ingest``, beside the understanding stage alone.

    python benchmarks/ingest_speed.py                  # 50,000 calls
    python benchmarks/ingest_speed.py --posts 200000

The input is a JSONL transcript export of realistic Chinese calls (30-300 characters, each made
unique). Printed in the same run, on the same posts:

* the understanding stage alone (``Understander.understand`` over the parsed posts): the
  baseline, since it is work ``ingest`` must do for every post whatever else it does;
* understanding plus copy detection (``Identity``), without the store: what ``ingest`` must
  do for every post besides storing it, so the most it could reach; done as ``Intake`` does it,
  a batch at a time (its sketches made together);
* ``yujing ingest`` as the command runs it (``ingest_files`` into a fresh store through the
  daemon's ``Intake``: read, decode, parse, understand, identify, commit) in one process
  (``--jobs 1``), with batched commits and, for comparison, one commit per post;
* ``yujing ingest`` on every CPU this process may use (the command's default ``--jobs``:
  workers understand while this process identifies and commits, and its time includes
  starting and stopping them). Its CPU column is this process's alone, not its workers': only
  its wall time compares with the baseline's.

Each is run ``--repeat`` times, taking turns, after an untimed warm-up pass of understanding;
the best run of each is printed, by wall time and by this process's CPU time (the machine may be
shared: CPU time is what another process's work changes least), with its share of the baseline.

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

from yujing.app.ingest_workers import ParallelIntake, usable_cpus
from yujing.app.intake import Intake
from yujing.config import load_config
from yujing.crawlers.inbox import BATCH, ingest_files
from yujing.detector.identity import Identity, sketches_of
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


class Clock:
    """Wall and CPU seconds of one timed stretch; the best of several runs is what is printed,
    since other work on a shared machine only ever makes a run slower."""

    def __init__(self) -> None:
        self.wall = self.cpu = float("inf")

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = min(self.wall, time.perf_counter() - self._wall)
        self.cpu = min(self.cpu, time.process_time() - self._cpu)


def run_ingest(config, export: Path, folder: Path, mode: str, clock: Clock) -> int:
    store = Store(folder / "store.db")
    try:
        intake = Intake(understander_for(config), store)
        jobs = usable_cpus() if mode == "workers" else 1
        with clock, ParallelIntake(intake, config, jobs) as parallel:
            sink = OnePerCommit(intake) if mode == "one" else parallel
            result = ingest_files([export], sink, source_name="hotline", salt=SALT)
    finally:
        store.close()
    return result.accepted


def understand_and_identify(config, parsed: list[Post], understood: Clock, both: Clock) -> None:
    """The understanding stage alone, then with copy detection as ``Intake`` does it: the
    sketches of a batch made together, then each post identified."""
    understander = understander_for(config)
    with understood:
        scored = [understander.understand(post) for post in parsed]
    understander = understander_for(config)  # a fresh cache, as the first pass had
    identity = Identity()
    with both:
        for i in range(0, len(parsed), BATCH):
            batch = [understander.understand(post) for post in parsed[i : i + BATCH]]
            for sp, sk in zip(batch, sketches_of(sp.post for sp in batch), strict=True):
                verdict = identity.classify(sp, sk)
                if verdict.same_as is None:
                    identity.remember(replace(sp, text_id=verdict.text_id), verdict.sketch)
    assert len(scored) == len(parsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is shown")
    args = parser.parse_args()

    config = load_config(ROOT / "config" / "demo.yaml")
    posts = make_posts(Random(7), 0, args.posts, timedelta(days=30) / args.posts)
    understood, both = Clock(), Clock()
    runs = {
        "batched": Clock(),
        "one commit per post": Clock(),
        f"--jobs {usable_cpus()} (default)": Clock(),
    }
    modes = dict(zip(runs, ("batched", "one", "workers"), strict=True))
    accepted = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export = folder / "calls.jsonl"
        write_export(export, posts)
        size_mb = export.stat().st_size / 2**20

        # The baseline: the same texts as the posts ingest makes of them, understood alone.
        parsed: list[Post] = []
        ingest_files([export], parsed.append, source_name="hotline", salt=SALT)
        # A first pass untimed: the sentiment model's tables are touched for the first time.
        warm = understander_for(config)
        for post in parsed[:5000]:
            warm.understand(post)
        for n in range(args.repeat):  # each in turn, so a busy stretch slows all of them
            understand_and_identify(config, parsed, understood, both)
            for name, clock in runs.items():
                sub = folder / f"{name.replace(' ', '-')}-{n}"
                sub.mkdir()
                accepted[name] = run_ingest(config, export, sub, modes[name], clock)

    n = len(parsed)
    print(
        f"{n:,} calls, {size_mb:.1f} MB of JSONL; posts/s on one core, best of {args.repeat} "
        f"runs, by wall time and by this process's CPU time (first posts from {START:%Y-%m-%d})"
    )
    print(f"{'':44}{'wall':>10}{'':8}{'cpu':>10}")
    base_wall, base_cpu = n / understood.wall, n / understood.cpu

    def line(name: str, clock: Clock, note: str = "", cpu_too: bool = True) -> None:
        wall, cpu = n / clock.wall, n / clock.cpu
        by_cpu = f"{cpu:>10,.0f}  {cpu / base_cpu:.2f}" if cpu_too else f"{'-':>10}  {'-':>4}"
        print(f"{name:44}{wall:>10,.0f}  {wall / base_wall:.2f}{by_cpu}{note}")

    line("understanding stage alone (baseline)", understood)
    line("understanding + copy detection, no store", both, "   (the most ingest could reach)")
    for name, clock in runs.items():
        line(
            "yujing ingest, " + name,
            clock,
            f"   ({accepted[name]:,} new)",
            cpu_too=modes[name] != "workers",  # its workers' CPU time is not this process's
        )
    print("goal: yujing ingest at 0.80 of the baseline or better")


if __name__ == "__main__":
    main()
