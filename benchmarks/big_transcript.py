"""Peak memory and rows/s of ``yujing ingest`` on one big CSV transcript export, beside the csv
module merely reading the same file.

    python benchmarks/big_transcript.py                      # 1 GB, and a quarter of it
    python benchmarks/big_transcript.py --size 200M          # quicker: 200 MB and 50 MB
    python benchmarks/big_transcript.py --also 64M           # 1 GB beside 64 MB

A call-centre export is written to a temporary folder: a CSV with a header (编号, 来电号码,
来电时间, 坐席, 产品, 通话时长, 内容), one call a row, its text the caller's and the agent's turns
on separate lines of one quoted cell, as the demo world's hotline says them (consultations,
complaints, now and then a wave about one product), each call with its own number. Printed for
two sizes, ``--size`` and a quarter of it (or ``--also``), each in a child process of its own:

* the baseline: ``csv.reader`` reading the file row by row and keeping nothing, the least any
  reader of the file does;
* ``yujing ingest`` as a user runs it (``python -m yujing ingest -c CONFIG FILE`` into a fresh
  store, the transcripts source's ``max_file_mb`` raised to the file's size): check the whole
  file, then read it again into the store a batch at a time.

For each: rows, seconds (wall, and the child's CPU), rows/s, and its peak resident memory
(the kernel's ``ru_maxrss`` of that child, from ``os.wait4``), with the resident memory seen at
a quarter, half and three quarters of its run. Memory is flat when the bigger file peaks where
the smaller one does: nothing the ingest keeps may grow with the file (the copy index and the
caches have their fixed bounds). An export with one row per utterance (a ``角色`` column) is not
measured here: its rows are joined into calls only once the whole file is read, since exports
interleave calls (``crawlers/inbox/calls.py``), so it holds the file's calls in memory; the
transcripts source's ``max_file_mb`` (256 by default) is what bounds that.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from zoneinfo import ZoneInfo

from yujing.app.demo.content import (
    PRODUCTS,
    agent_name,
    background_call,
    background_post,
    wave_call,
)

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("编号", "来电号码", "来电时间", "坐席", "产品", "通话时长", "内容")


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]?)B?", text.strip().upper())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: a size like 1G, 200M or 5000000")
    return int(float(match.group(1)) * 1024 ** " KMG".index(match.group(2) or " "))


def write_export(path: Path, size: int, seed: int = 7) -> int:
    """Calls until the file has ``size`` bytes; the number of rows."""
    rng = Random(seed)
    # The call centre's local time, the last 30 days: about 320 bytes a row spread over them,
    # wrapping round if the rows are more (a time in the future would be refused, rightly).
    start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None) - timedelta(days=31)
    step, span = 30 * 86400 * 320 / max(size, 1), 30 * 86400
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        while f.tell() < size:
            for _ in range(1000):
                product = PRODUCTS[rows % len(PRODUCTS)]
                roll = rng.random()
                if roll < 0.6:
                    text = background_call(rng, product)
                elif roll < 0.9:
                    title, body = background_post(rng, product)  # a complaint told on the phone
                    text = f"客户：{title}。{body}\n坐席：好的，我已经记录，会尽快给您答复。"
                else:
                    text = wave_call(rng, product, claim=roll < 0.96, collective=roll < 0.93)
                at = start + timedelta(seconds=(rows * step + rng.random()) % span)
                writer.writerow(
                    (
                        f"C{at:%Y%m%d}-{rows:08d}",
                        f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                        f"{at:%Y-%m-%d %H:%M:%S}",
                        agent_name(rng),
                        product.name,
                        f"{rng.randrange(1, 20)}:{rng.randrange(60):02d}",
                        text,
                    )
                )
                rows += 1
    return rows


def write_config(folder: Path, size: int) -> Path:
    """The shipped products and categories, a transcripts source whose size limit fits."""
    path = folder / "yujing.yaml"
    path.write_text(
        f"include: [{ROOT / 'config' / 'categories.yaml'}, {ROOT / 'config' / 'products.yaml'}]\n"
        "timezone: Asia/Shanghai\n"
        f"storage: {{path: {folder / 'yujing.db'}}}\n"
        "privacy: {salt: benchmark-salt}\n"
        "sources:\n"
        "  - name: hotline\n"
        "    type: transcripts\n"
        f"    path: {folder / 'inbox'}\n"
        f"    limits: {{max_file_mb: {size / 2**20 + 1:.0f}}}\n",
        encoding="utf-8",
    )
    return path


def count_rows(path: str) -> None:
    """The baseline, run as a child: every row read by the csv module, nothing kept."""
    rows = 0
    with open(path, encoding="utf-8", newline="") as f:
        for _ in csv.reader(f):
            rows += 1
    print(f"rows: {rows - 1}")  # less the header


@dataclass
class Run:
    rows: int
    wall: float
    cpu: float
    peak_mb: float
    along_mb: list[float]  # resident memory at a quarter, half and three quarters of the run


def measure(command: list[str], rows_pattern: str, folder: Path) -> Run:
    """Run ``command`` as a child; its figures, peak memory as the kernel counted it."""
    out_path, err_path = folder / "stdout.txt", folder / "stderr.txt"
    start = time.perf_counter()
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        child = subprocess.Popen(command, stdout=out_file, stderr=err_file)
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:  # resident memory through the run, read from /proc
        page = os.sysconf("SC_PAGE_SIZE")
        while not done.wait(0.25):
            try:
                with open(f"/proc/{child.pid}/statm") as f:
                    rss = int(f.read().split()[1]) * page / 2**20
            except (OSError, IndexError, ValueError):
                continue
            samples.append((time.perf_counter() - start, rss))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # Waited for here, not by subprocess: os.wait4 gives this child's own resource usage.
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    out, err = out_path.read_text(), err_path.read_text()
    if child.returncode != 0 or not (found := re.search(rows_pattern, out)):
        sys.exit(f"{' '.join(command)} failed:\n{out}\n{err}")
    along = []
    for share in (0.25, 0.5, 0.75):
        near = [rss for at, rss in samples if at >= share * wall]
        along.append(near[0] if near else float("nan"))  # printed as nan: over too soon
    return Run(
        int(found.group(1)), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, along
    )


def bench(folder: Path, size: int) -> tuple[int, Run, Run]:
    export = folder / "calls.csv"
    write_export(export, size)
    size = export.stat().st_size
    config = write_config(folder, size)
    baseline = measure(
        [sys.executable, __file__, "--count-rows", str(export)], r"rows: (\d+)", folder
    )
    ingest = measure(
        [sys.executable, "-m", "yujing", "ingest", "-c", str(config), str(export)],
        r"ingested 1 file\(s\): (\d+) transcripts",
        folder,
    )
    return size, baseline, ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1G"), help="e.g. 1G, 200M")
    parser.add_argument(
        "--also", type=parse_size, help="the smaller size compared with it (default: a quarter)"
    )
    parser.add_argument("--count-rows", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_rows:
        count_rows(args.count_rows)
        return

    print(
        "one CSV transcript export; rows/s by wall time (CPU seconds beside), peak RSS of each child"
    )
    print(
        f"{'file':>9} {'':34} {'rows':>10} {'wall s':>8} {'cpu s':>8} {'rows/s':>8}"
        f" {'peak MB':>8}   RSS at 1/4, 1/2, 3/4 of the run"
    )
    results = []
    for size in (args.also or args.size // 4, args.size):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(bench(Path(tmp), size))
        size, baseline, ingest = results[-1]
        for name, run in (
            ("csv.reader reading it (baseline)", baseline),
            ("yujing ingest", ingest),
        ):
            along = ", ".join(f"{mb:.0f}" for mb in run.along_mb)
            print(
                f"{size / 2**20:>6.0f} MB {name:34} {run.rows:>10,} {run.wall:>8.1f} {run.cpu:>8.1f}"
                f" {run.rows / run.wall:>8,.0f} {run.peak_mb:>8.0f}   {along}"
            )
        rate = (ingest.rows / ingest.wall) / (baseline.rows / baseline.wall)
        print(f"{'':10}{'':34} ingest at {rate:.3f} of the baseline's rows/s")
    (small, _, small_ingest), (big, _, big_ingest) = results
    growth = big_ingest.peak_mb - small_ingest.peak_mb
    print(
        f"ingest peak memory: {small_ingest.peak_mb:.0f} MB for {small / 2**20:.0f} MB, "
        f"{big_ingest.peak_mb:.0f} MB for {big / 2**20:.0f} MB ({growth:+.0f} MB for "
        f"{(big - small) / 2**20:.0f} MB more file)"
    )


if __name__ == "__main__":
    main()
