"""Soak: the daemon left running against the demo world; its numbers over time must stay flat.

    python benchmarks/soak.py                          # 60 s of wall time, a sample every 5 s
    python benchmarks/soak.py --seconds 600 --restart-every 120
    python benchmarks/soak.py --simulate-days 28       # four weeks of traffic on a simulated clock

Wall-time mode: the demo world (forum, feed and hotline inbox on 127.0.0.1, a week of history,
live chatter and a complaint wave) runs in this process; the real daemon (``yujing run`` on the
shipped demo config, its HTTP server on a free port) runs in its own process, restarted with
SIGTERM every ``--restart-every`` seconds. Each sample prints posts stored, alerts raised,
restarts, the daemon's resident memory and open file handles, and the store's size on disk
(file and write-ahead log), read from ``/metrics``, ``/proc`` and the files. At the end: how
each changed between the first sample after warm-up and the last, and the log's warnings.

Simulated mode: weeks of traffic go through the daemon's own parts in this process, on a clock
that jumps an hour at a time: posts made like the demo world's (ordinary chatter about the five
products, a complaint wave each week) are taken in by the pipeline (understand, identify,
store), detected every simulated ten minutes, delivered to the log receiver and pruned by the
retention component each simulated day (``--retention-days``). Printed once a simulated day:
posts taken in and stored, alerts, this process's memory and handles, the store's size.
Flat means: memory and handles level off, and with retention the store stops growing once
the retention period has passed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"


# ---------------------------------------------------------------- measuring


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def store_mb(db: Path) -> float:
    total = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    return total / 2**20


def scrape(port: int) -> dict[str, float]:
    """The unlabelled samples and label sums of the daemon's /metrics, by metric name."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode("utf-8")
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name] = out.get(s.name, 0.0) + s.value
    return out


def up(port: int, timeout: float = 60.0) -> None:
    """Wait for a started daemon's HTTP server (it starts with the daemon's parts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the daemon's /healthz did not answer within {timeout:g} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Table:
    def __init__(self, columns: list[tuple[str, int]]):
        self.columns = columns
        print("  ".join(f"{name:>{width}}" for name, width in columns), flush=True)

    def row(self, *values: object) -> None:
        cells = []
        for (_, width), value in zip(self.columns, values, strict=True):
            text = f"{value:.1f}" if isinstance(value, float) else str(value)
            cells.append(f"{text:>{width}}")
        print("  ".join(cells), flush=True)


def drift(name: str, first: float, last: float, unit: str) -> str:
    change = last - first
    share = f" ({change / first:+.0%})" if first else ""
    return f"  {name:<16} {first:10.1f} -> {last:10.1f} {unit}{share}"


# ---------------------------------------------------------------- wall time, real processes


def soak_wall(seconds: float, every: float, restart_every: float | None, warmup: float) -> int:
    from yujing.app.demo.world import DemoWorld

    workdir = Path(tempfile.mkdtemp(prefix="yujing-soak-"))
    port = free_port()
    # The shipped demo config, with the HTTP server on a port of its own.
    for name in ("demo.yaml", "categories.yaml"):
        shutil.copy(CONFIG_DIR / name, workdir / name)
    config = workdir / "demo.yaml"
    with config.open("a", encoding="utf-8") as f:
        f.write(f"\nhttp:\n  listen: 127.0.0.1:{port}\n")
    world = DemoWorld(workdir, wave_after=20.0, wave_duration=30.0)
    world.start()
    env = {**os.environ, "YUJING_DEMO_URL": world.url, "YUJING_DEMO_DIR": str(workdir)}
    log_path = workdir / "daemon.log"
    log = log_path.open("a")
    db = workdir / "yujing.db"

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "yujing", "run", "-c", str(config), "--log-format", "json"],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(proc: subprocess.Popen) -> int:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=60)

    print(f"soak: {seconds:g} s against the demo world at {world.url}; data in {workdir}")
    table = Table(
        [("t s", 6), ("posts", 7), ("alerts", 6), ("restarts", 8), ("rss MB", 7), ("files", 6),
         ("store MB", 8), ("lag", 4), ("outbox", 6)]
    )  # fmt: skip
    proc = start()
    up(port)
    restarts = 0
    bad_exits: list[int] = []
    samples: list[tuple[float, float, int, float]] = []
    began = last_restart = time.monotonic()
    try:
        while (elapsed := time.monotonic() - began) < seconds:
            time.sleep(every)
            elapsed = time.monotonic() - began
            if restart_every and time.monotonic() - last_restart >= restart_every:
                code = stop(proc)
                if code != 0:
                    bad_exits.append(code)
                proc, restarts, last_restart = start(), restarts + 1, time.monotonic()
                up(port)
            try:
                numbers = scrape(port)
            except OSError:
                numbers = {}
            alerts_file = workdir / "alerts.jsonl"
            alerts = len(alerts_file.read_text("utf-8").splitlines()) if alerts_file.exists() else 0
            rss, files, size = rss_mb(proc.pid), open_files(proc.pid), store_mb(db)
            table.row(
                round(elapsed),
                int(numbers["yujing_posts_stored"]) if numbers else "-",
                alerts,
                restarts,
                rss,
                files,
                size,
                int(numbers["yujing_detector_lag_posts"]) if numbers else "-",
                int(numbers.get("yujing_outbox_pending", 0)) if numbers else "-",
            )
            if elapsed >= warmup:
                samples.append((elapsed, rss, files, size))
        code = stop(proc)
        if code != 0:
            bad_exits.append(code)
    finally:
        if proc.poll() is None:
            proc.kill()
        world.stop()
        log.close()
    lines = [json.loads(x) for x in log_path.read_text("utf-8").splitlines() if x.startswith("{")]
    # The log receiver writes each alert as a warning: those are the alerts, not trouble.
    warnings = [
        x
        for x in lines
        if x.get("level") in ("WARNING", "ERROR", "CRITICAL") and x.get("logger") != "yujing.alerts"
    ]
    print(f"\nafter {warmup:g} s of warm-up, first sample -> last:")
    if len(samples) >= 2:
        (_, r0, f0, s0), (_, r1, f1, s1) = samples[0], samples[-1]
        print(drift("rss", r0, r1, "MB"))
        print(drift("open files", f0, f1, ""))
        print(drift("store", s0, s1, "MB"))
    else:
        print("  (too few samples: run longer than the warm-up)")
    print(f"  restarts         {restarts} (exit codes other than 0: {bad_exits or 'none'})")
    print(f"  log lines        {len(lines)}; warnings and errors (alerts aside) {len(warnings)}")
    for w in warnings[:10]:
        print(f"    {w['level']}: {w['message'][:160]}")
    return 1 if bad_exits else 0


# ---------------------------------------------------------------- simulated clock, in process


def soak_simulated(days: int, per_day: int, retention_days: float, seed: int) -> int:
    from yujing.app.components import retention as retention_module
    from yujing.app.components.retention import Retention
    from yujing.app.daemon import Daemon
    from yujing.app.demo import content
    from yujing.app.demo.chatter import HOUR_WEIGHTS
    from yujing.app.demo.content import PRODUCTS
    from yujing.records import Post, Reach, hash_author, post_id

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("yujing.alerts").setLevel(logging.ERROR)  # the log receiver's copies
    workdir = Path(tempfile.mkdtemp(prefix="yujing-soak-sim-"))
    for name in ("demo.yaml", "categories.yaml"):
        shutil.copy(CONFIG_DIR / name, workdir / name)
    config = workdir / "demo.yaml"
    text = config.read_text("utf-8")
    text = text.replace(
        "  path: ${YUJING_DEMO_DIR:-var/demo}/yujing.db",
        f"  path: ${{YUJING_DEMO_DIR:-var/demo}}/yujing.db\n  retention: {retention_days:g}d",
        1,
    )
    config.write_text(text + "\nhttp:\n  listen: null\n", encoding="utf-8")
    os.environ["YUJING_DEMO_DIR"] = str(workdir)
    daemon = Daemon(config)
    pipeline_of = lambda: daemon.pipeline  # noqa: E731 (a reload would swap it)
    clock = [datetime(2026, 1, 5, tzinfo=UTC)]  # a Monday
    retention_module.utcnow = lambda: clock[0]  # the retention component's clock is ours
    prune = daemon.get(Retention).prune
    rng = Random(seed)
    authors = [hash_author(f"user{i}", "soak") for i in range(5000)]
    weights = sum(HOUR_WEIGHTS)
    n = accepted = events = 0
    pid = os.getpid()
    print(
        f"soak (simulated): {days} days, about {per_day} posts a day, retention "
        f"{retention_days:g} days, a complaint wave each week; store in {workdir}"
    )
    table = Table(
        [("day", 4), ("taken in", 9), ("stored", 7), ("alerts", 6), ("rss MB", 7),
         ("files", 6), ("store MB", 8), ("s/day", 6)]
    )  # fmt: skip
    rows: list[tuple[float, int, float]] = []
    started = time.perf_counter()
    for day in range(days):
        day_began = time.perf_counter()
        for hour in range(24):
            now = clock[0] = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=day, hours=hour)
            count = round(per_day * HOUR_WEIGHTS[(hour + 8) % 24] / weights)
            wave = day % 7 == 3 and hour == 6  # 14:00 in Shanghai, one product, an hour
            posts = []
            for _ in range(count + (40 if wave else 0)):
                n += 1
                product = PRODUCTS[0] if wave and len(posts) >= count else rng.choice(PRODUCTS)
                if wave and len(posts) >= count:
                    title, body = content.wave_post(rng, product, claim=True, collective=False)
                elif rng.random() < 0.7:
                    title, body = content.background_post(rng, product)
                else:
                    title, body = content.general_post(rng)
                at = now + timedelta(seconds=rng.randrange(3600))
                source = ("demo-forum", "demo-feed", "demo-hotline")[n % 3]
                posts.append(
                    Post(
                        source=source,
                        url=f"https://demo.invalid/{source}/{n}",
                        id=post_id(source, str(n)),
                        author=rng.choice(authors),
                        title=title,
                        text=f"{body}（{n}）",
                        published_at=at,
                        fetched_at=at,
                        reach=Reach(views=rng.randrange(900), comments=rng.randrange(25)),
                    )
                )
            posts.sort(key=lambda p: p.published_at)
            for minute in range(0, 60, 10):
                edge = now + timedelta(minutes=minute + 10)
                for post in [
                    p for p in posts if now + timedelta(minutes=minute) <= p.published_at < edge
                ]:
                    accepted += pipeline_of().accept(post)
                clock[0] = edge
                events += len(pipeline_of().detect(edge))
            pipeline_of().notifier.deliver_due(clock[0])
        asyncio.run(prune())  # the daemon prunes hourly; daily is enough for the figures here
        rss, files = rss_mb(pid), open_files(pid)
        size = store_mb(daemon.store.path)
        table.row(
            day + 1,
            accepted,
            daemon.store.posts.count(),
            events,
            rss,
            files,
            size,
            time.perf_counter() - day_began,
        )
        rows.append((rss, files, size))
    daemon.close()
    half = len(rows) // 2
    print(f"\n{time.perf_counter() - started:.0f} s for {days} simulated days; "
          f"from day {half + 1} (retention reached at day {retention_days:g}) to day {days}:")  # fmt: skip
    if half < len(rows) - 1:
        (r0, f0, s0), (r1, f1, s1) = rows[half], rows[-1]
        print(drift("rss", r0, r1, "MB"))
        print(drift("open files", f0, f1, ""))
        print(drift("store", s0, s1, "MB"))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="wall time (default 60)")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument(
        "--restart-every", type=float, default=None, help="SIGTERM and restart the daemon"
    )
    parser.add_argument(
        "--warmup", type=float, default=15.0, help="seconds before the drift baseline"
    )
    parser.add_argument(
        "--simulate-days", type=int, default=None, help="simulated clock: this many days"
    )
    parser.add_argument("--posts-per-day", type=int, default=1000)
    parser.add_argument("--retention-days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.simulate_days:
        return soak_simulated(
            args.simulate_days, args.posts_per_day, args.retention_days, args.seed
        )
    return soak_wall(args.seconds, args.every, args.restart_every, args.warmup)


if __name__ == "__main__":
    raise SystemExit(main())
