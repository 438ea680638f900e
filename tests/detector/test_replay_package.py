"""The replay package streams the store (no copy of it anywhere) and prints nothing itself: what
it leaves out goes to its caller's ``say``, the command line prints it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from yujing.config import load_config
from yujing.detector.replay import replay_posts, replay_store

from .test_replay_store import fill_store, write_config


def _no_temporary_files(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("replay made a temporary file")

    for name in (
        "mkstemp",
        "mkdtemp",
        "NamedTemporaryFile",
        "TemporaryFile",
        "SpooledTemporaryFile",
        "TemporaryDirectory",
    ):
        monkeypatch.setattr(tempfile, name, refuse)


def _files(folder: Path) -> list[str]:
    """The folder's files but SQLite's own journal beside a store it opens (-wal, -shm)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm")))


def test_replay_store_reads_the_store_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, "yujing.yaml", 5)
    fill_store(path)
    config = load_config(path)
    before = _files(tmp_path)
    _no_temporary_files(monkeypatch)
    events: list[dict] = []
    done = replay_store(config, config.storage.path, None, events.append)
    assert done.posts > 12 and done.events == len(events)
    assert [e["event"] for e in events][:1] == ["firing"]
    assert _files(tmp_path) == before


def test_a_refused_line_is_told_to_the_caller_not_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(write_config(tmp_path, "yujing.yaml", 5))
    posts = tmp_path / "posts.jsonl"
    good = {
        "source": "forum",
        "url": "https://bbs.example.cn/t/1",
        "id": "forum:1",
        "author": "a",
        "title": "",
        "text": "安心e生理赔被拒",
        "published_at": "2026-11-30T08:00:00+08:00",
        "fetched_at": "2026-11-30T08:00:00+08:00",
    }
    posts.write_text(json.dumps(good, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    said: list[str] = []
    replay_posts(config, posts, lambda _: None, say=said.append)
    assert len(said) == 1 and said[0].startswith(f"{posts}:2: skipped: "), said
    assert capsys.readouterr().err == ""
