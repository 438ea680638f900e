"""``yujing replay --store``: the stored history replayed under a changed config."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

import yaml

from yujing.app.pipeline import Pipeline
from yujing.config import load_config
from yujing.records import Post, hash_author, post_id
from yujing.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)
WAVE = NOW - timedelta(days=2)
WHO = ["我妈", "我爸", "我自己", "我老婆", "孩子", "我同事", "我舅舅", "邻居"]
GRIEF = ["理赔被拒，说有既往症", "拖了两个月不赔", "业务员说什么都保，现在拒赔", "突然不让续保了"]


def write_config(tmp_path: Path, name: str, min_count: int) -> Path:
    path = tmp_path / name
    path.write_text(
        yaml.safe_dump(
            {
                "storage": {"path": str(tmp_path / "y.db")},
                "alerts_file": None,
                "products": [{"id": "anxin-e", "name": "安心e生医疗险", "aliases": ["安心e生"]}],
                "detection": {"burst": {"min_count": min_count}},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


def fill_store(config_path: Path) -> None:
    config = load_config(config_path)
    pipe = Pipeline(config, Store(config.storage.path))
    rng = Random(5)
    n = 0

    def add(at: datetime) -> None:
        nonlocal n
        n += 1
        url = f"https://bbs.example.cn/t/{n}"
        text = f"{rng.choice(WHO)}的安心e生{rng.choice(GRIEF)}，第{n}次发帖"
        author = hash_author(f"user{n}", "salt")
        pipe.accept(Post("forum", url, post_id("forum", url), author, "", text, at, at))

    t = NOW - timedelta(days=20)
    while t < NOW:  # about two complaints a day, and a wave of 12 in an hour two days ago
        if rng.random() < 2 / 144:
            add(t)
        t += timedelta(minutes=10)
    for i in range(12):
        add(WAVE + timedelta(minutes=5 * i))
    pipe.store.close()


def snapshot(db: Path) -> tuple:
    with sqlite3.connect(db) as conn:
        return (
            conn.execute("PRAGMA user_version").fetchone(),
            conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall(),
            *(
                conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("posts", "alerts", "outbox", "state", "source_runs")
            ),
        )


def replay(config: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yujing", "replay", "-c", str(config), "--store", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,
    )


def test_replay_store_shows_what_a_changed_config_would_have_raised(tmp_path: Path) -> None:
    production = write_config(tmp_path, "yujing.yaml", 5)
    fill_store(production)
    db = tmp_path / "y.db"
    # As a store of an older release: schema version 1, without the later indexes.
    with sqlite3.connect(db) as old:
        old.execute("DROP INDEX outbox_by_alert")
        old.execute("DROP INDEX alerts_by_state")
        old.execute("PRAGMA user_version = 1")
    before = snapshot(db)

    loose = replay(production, cwd=tmp_path)
    assert loose.returncode == 0, loose.stderr
    events = [json.loads(line) for line in loose.stdout.splitlines()]
    firing = [e for e in events if e["event"] == "firing"]
    assert [e["product"] for e in firing] == ["anxin-e"]
    fired = datetime.fromisoformat(firing[0]["fired_at"])
    assert WAVE <= fired <= WAVE + timedelta(hours=1)
    assert "stored post(s) under the new config" in loose.stderr

    strict = replay(write_config(tmp_path, "strict.yaml", 20), cwd=tmp_path)
    assert strict.returncode == 0, strict.stderr
    assert strict.stdout == "", "a min_count of 20 would have stayed quiet"

    # Fetched as they were published: as published, the same.
    published = replay(production, "--as-published", cwd=tmp_path)
    assert published.returncode == 0 and published.stdout == loose.stdout, published.stderr

    recent = replay(production, "--since", "1d", cwd=tmp_path)
    assert recent.returncode == 0 and recent.stdout == "", "the wave is older than a day"

    assert snapshot(db) == before, "the store is only read: no upgrade, no write"


def test_replay_store_with_nothing_in_the_period_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path, "yujing.yaml", 5)
    Store(tmp_path / "y.db").close()
    result = replay(config, cwd=tmp_path)
    assert result.returncode == 1
    assert "no stored posts in the period asked for" in result.stderr
    bad = replay(config, "--since", "soon", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid duration" in bad.stderr
