"""``yujing replay`` as a user runs it: a subprocess, alert JSON lines on stdout and nothing else."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from yujing.records import Post, post_id

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"product", "fired_at", "state", "severity", "score"}


def run_replay(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "yujing",
            "replay",
            "-c",
            str(ROOT / "config" / "yujing.yaml"),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),
        timeout=120,
    )


def post_record(n: int, at: datetime, text: str, source: str, author: str | None) -> dict:
    """Post number ``n`` of ``source`` as ``replay --posts`` reads it (``Post.to_dict``)."""
    url, pid = f"https://{source}.example/{n}", post_id(source, str(n))
    return Post(source, url, pid, author, "", text, at, at).to_dict()


def replay(*args: str, cwd: Path) -> tuple[list[dict], str]:
    result = run_replay(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    events = [json.loads(line) for line in lines]  # every stdout line is one JSON object
    for e in events:
        assert e.keys() >= REQUIRED
    return events, result.stderr


def test_replay_counts_csv_fires_once_on_the_spike(tmp_path: Path) -> None:
    rng = Random(4)
    path = tmp_path / "twitter_volume.csv"
    t = datetime(2015, 2, 1)
    rows = ["timestamp,value"]
    for i in range(288 * 10):  # ten days of 5-minute buckets, busy in the day
        lam = 20 * (0.3 + math.sin(t.hour / 24 * math.pi) ** 2)
        value = sum(rng.random() < lam / 40 for _ in range(40))
        if 288 * 8 + 120 <= i < 288 * 8 + 130:
            value += 50
        rows.append(f"{t:%Y-%m-%d %H:%M:%S},{value}")
        t += timedelta(minutes=5)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    events, _ = replay("--counts", str(path), cwd=tmp_path)
    firing = [e for e in events if e["event"] == "firing"]
    assert len(firing) == 1, events
    alert = firing[0]
    assert alert["product"] == "twitter_volume"
    spike = datetime(2015, 2, 9) + timedelta(minutes=5 * 120)
    fired = datetime.strptime(alert["fired_at"], "%Y-%m-%d %H:%M:%S")  # the input's format
    assert spike <= fired <= spike + timedelta(minutes=30)
    assert alert["state"] == "firing" and alert["score"] > 4  # -log10 p, past the 1e-4 default
    assert events[-1]["event"] == "resolved" and events[-1]["fired_at"] == alert["fired_at"]
    assert not (tmp_path / "var").exists()  # the daemon's database is never touched


def test_replay_counts_with_product_column(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    t = datetime(2024, 1, 1)
    rows = []
    for i in range(24 * 12):  # 12 days of hourly counts for two products, no header
        for product, base in (("p1", 1), ("p2", 0)):
            value = base + (9 if product == "p2" and i == 24 * 11 else 0)
            rows.append(f"{t:%Y-%m-%d %H:%M:%S},{product},{value}")
        t += timedelta(hours=1)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    events, _ = replay("--counts", str(path), cwd=tmp_path)
    assert [(e["product"], e["event"]) for e in events][:1] == [("p2", "firing")]
    assert {e["product"] for e in events} == {"p2"}


def test_replay_posts_jsonl(tmp_path: Path) -> None:
    rng = Random(2)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    lines = []
    n = 0

    def add(
        at: datetime, text: str, product: str | None, source: str = "forum", author: bool = True
    ) -> None:
        nonlocal n
        n += 1
        d = post_record(n, at, text, source, author=f"u{n}" if author else None)
        if product:
            d.update(products=[product], categories=[], sentiment=0.1, collective="维权" in text)
        lines.append(json.dumps(d, ensure_ascii=False))

    t = start
    while t < start + timedelta(days=8):
        if rng.random() < 2 / 144:
            add(t, f"理赔有点慢 {n}", rng.choice(["a", "b"]))
        t += timedelta(minutes=10)
    wave_at = start + timedelta(days=8, hours=2)
    for i in range(9):
        add(
            wave_at + timedelta(minutes=3 * i),
            f"a 突然停售 大家进维权群 {i}",
            "a",
            source=["forum", "weibo"][i % 2],
        )
    lines.append(lines[-1])  # the same post twice in the input: one post
    # The first wave post's copy in a feed, without author: the same post through another channel.
    add(wave_at + timedelta(minutes=1), "a 突然停售 大家进维权群 0", "a", "rss", author=False)
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events, _ = replay("--posts", str(path), cwd=tmp_path)
    assert [e["event"] for e in events][0] == "firing"
    assert {e["product"] for e in events} == {"a"}
    assert sum(e["event"] == "firing" for e in events) == 1
    assert events[-1]["event"] == "resolved"
    first = events[0]
    assert datetime.fromisoformat(first["fired_at"]) >= wave_at
    assert first["sources"] == 2 and first["series"]
    # Nine accounts posted one text (give or take its number): nine posts, nine people.
    assert max(e["count"] for e in events) == 9
    assert max(e["complainants"] for e in events) == 9
    assert {e["sources"] for e in events} == {2}
    assert any("9 个账号发布相同内容" in r for e in events for r in e["reasons"])


def test_replay_posts_reads_gbk_and_names_refused_lines(tmp_path: Path) -> None:
    at = datetime(2024, 3, 1, tzinfo=UTC)
    good = Post("forum", "https://f.example/1", post_id("forum", "1"), "u1", "", "理赔被拒", at, at)
    lines = [json.dumps(good.to_dict(), ensure_ascii=False), '{"source": "forum"}', "not json"]
    path = tmp_path / "posts-gbk.jsonl"
    path.write_bytes("\n".join(lines).encode("gbk"))
    events, err = replay("--posts", str(path), cwd=tmp_path)
    assert f"{path}:2: skipped: missing field 'url'" in err
    assert f"{path}:3: skipped: " in err
    assert "replay: 0 alert event(s)" in err


def test_replay_exits_1_when_nothing_could_be_replayed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"x": 1}\nnope\n', encoding="utf-8")
    for args, message in (
        (("--posts", str(bad)), "every one of 2 line(s) was refused"),
        (("--counts", str(bad)), "no row with a timestamp and a value"),
    ):
        result = run_replay(*args, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert message in result.stderr and result.stdout == ""


def test_replay_posts_does_not_depend_on_line_order_or_written_zones(tmp_path: Path) -> None:
    """An export grouped by source, newest first, with the hotline's times written in local time
    without a zone (the config's Asia/Shanghai), replays as the same posts in time order."""
    rng = Random(5)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    posts: list[dict] = []

    def add(at: datetime, text: str, source: str) -> None:
        n = len(posts)
        d = post_record(n, at, text, source, author=f"u{n}")
        d.update(products=["a"], categories=[], sentiment=0.1, collective=False)
        posts.append(d)

    t = start
    while t < start + timedelta(days=8):
        if rng.random() < 2 / 144:
            add(t, f"理赔有点慢 {len(posts)}", rng.choice(["forum", "hotline"]))
        t += timedelta(minutes=10)
    wave_at = start + timedelta(days=8, hours=2)
    for i in range(14):
        add(wave_at + timedelta(minutes=2 * i), f"拒赔 {i}", ["forum", "hotline"][i % 2])

    def local(d: dict) -> dict:
        if d["source"] != "hotline":
            return d
        shanghai = timedelta(hours=8)
        naive = {
            k: (datetime.fromisoformat(d[k]) + shanghai).replace(tzinfo=None).isoformat(sep=" ")
            for k in ("published_at", "fetched_at")
        }
        return {**d, **naive}

    def run(name: str, lines: list[dict]) -> list[tuple]:
        path = tmp_path / name
        path.write_text("".join(json.dumps(d) + "\n" for d in lines), encoding="utf-8")
        events, _ = replay("--posts", str(path), cwd=tmp_path)
        return [(e["event"], e["fired_at"], e["count"]) for e in events]

    in_order = run("in-order.jsonl", posts)
    assert in_order[0][0] == "firing" and in_order[-1][0] == "resolved"
    by_source = sorted(posts, key=lambda d: d["source"])
    assert run("by-source.jsonl", by_source) == in_order
    assert run("newest-first.jsonl", posts[::-1]) == in_order
    assert run("local-times.jsonl", [local(d) for d in by_source]) == in_order
