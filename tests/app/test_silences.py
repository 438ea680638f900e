"""Silences: kept in the store, made with ``yujing silence``, honoured by the running pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import yaml

from yujing.app.pipeline import Pipeline
from yujing.config import load_config
from yujing.detector.burst import detector_for
from yujing.records import Post, ScoredPost, post_id, utcnow
from yujing.store import Store


def write(tmp_path: Path) -> Path:
    path = tmp_path / "yujing.yaml"
    config = {
        "storage": {"path": str(tmp_path / "y.db")},
        "alerts_file": None,
        "products": [{"id": "anxin-e", "name": "安心e生"}, {"id": "kangning", "name": "康宁"}],
        "detection": {"burst": {"min_count": 5}},
        "notify": {
            "receivers": [{"name": "file", "type": "file", "path": str(tmp_path / "out.jsonl")}],
            "route": {"receiver": "file"},
        },
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def silence(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yujing", "silence", *args, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def wave(pipeline: Pipeline, product: str, start) -> None:
    # one post two days before, so the series has some history to be judged against
    for i in [-1, *range(12)]:
        at = start + (timedelta(minutes=i) if i >= 0 else timedelta(days=-2))
        url = f"https://bbs.example.cn/{product}/{i}"
        post = Post("forum", url, post_id("forum", url), f"u{i}", "", "理赔被拒", at, at)
        pipeline.detector.observe(ScoredPost(post, (product,), (), 0.1))


def told(tmp_path: Path, pipeline: Pipeline, at) -> list[tuple[str, str]]:
    """Deliver what is due at ``at``; (product, event) of each alert told so far."""
    pipeline.notifier.deliver_due(at)
    out = tmp_path / "out.jsonl"
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    return [(a["product"], a["event"]) for n in map(json.loads, lines) for a in n["alerts"]]


def test_a_silence_mutes_its_alerts_until_it_is_expired(tmp_path: Path) -> None:
    config_path = write(tmp_path)
    added = silence(
        config_path, "add", "product=anxin-e", "--comment", "系统故障，已知", "--duration", "2h"
    )
    assert added.returncode == 0, added.stderr
    sid = added.stdout.split()[0]
    listed = silence(config_path, "list")
    assert sid in listed.stdout and "系统故障，已知" in listed.stdout

    config = load_config(config_path)
    pipeline = Pipeline(config, Store(config.storage.path), detector=detector_for(config, None))
    try:
        now = utcnow()
        # Both products burst; only the silenced one stays quiet.
        wave(pipeline, "anxin-e", now - timedelta(minutes=13))
        wave(pipeline, "kangning", now - timedelta(minutes=13))
        events = pipeline.detect(now, all_products=True)
        assert {e.alert.product for e in events} == {"anxin-e", "kangning"}
        # Each product's group is looked at after group_wait (30s).
        assert told(tmp_path, pipeline, now + timedelta(seconds=30)) == [("kangning", "firing")]

        # Expired: the wave still open is told at its group's next look (group_interval, 5m).
        assert silence(config_path, "expire", sid).stdout.strip() == f"{sid} expired"
        pipeline.detect(now + timedelta(minutes=1), all_products=True)
        at = now + timedelta(minutes=5, seconds=30)
        assert told(tmp_path, pipeline, at) == [("kangning", "firing"), ("anxin-e", "firing")]
    finally:
        pipeline.store.close()
    again = silence(config_path, "expire", sid)
    assert again.returncode == 1 and "no active silence" in again.stderr


def test_a_silence_that_could_never_match_is_refused(tmp_path: Path) -> None:
    config_path = write(tmp_path)
    typo = silence(config_path, "add", "prodcut=anxin-e", "--comment", "x")
    assert typo.returncode == 2
    assert "unknown label 'prodcut'; did you mean 'product'?" in typo.stderr
    assert silence(config_path, "list").stdout.strip() == "no active silences"
