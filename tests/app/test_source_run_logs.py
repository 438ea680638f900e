"""What one source run leaves in the log and the store: quiet when nothing happens, each failure
once, errors stored escaped and without personal numbers."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import pytest

from yujing.app.components.detection import Detection
from yujing.app.components.sources import Sources
from yujing.app.daemon import Daemon
from yujing.crawlers.inbox.collector import InboxCollector

CONFIG = """
storage: {{path: {db}}}
alerts_file: null
sources:
  - {{name: hotline, type: transcripts, path: {inbox}, interval: 1h}}
products:
  - {{id: anxin-e, name: 安心e生医疗险}}
"""


@pytest.fixture
def daemon(tmp_path: Path):
    path = tmp_path / "yujing.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "y.db", inbox=tmp_path / "inbox"), "utf-8")
    daemon = Daemon(path, components=[Sources, Detection])
    yield daemon
    daemon.close()


def drop(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    old = time.time() - 60
    os.utime(folder / name, (old, old))


def run(daemon: Daemon) -> None:
    asyncio.run(daemon.get(Sources).run_source("hotline"))


def daemon_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "yujing.daemon"]


def test_a_run_that_found_nothing_new_logs_only_at_debug(daemon, tmp_path, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="yujing"):
        run(daemon)
    [record] = daemon_records(caplog)
    assert (record.levelno, record.getMessage()) == (
        logging.DEBUG,
        "source hotline: 0 items, 0 new",
    )

    caplog.clear()
    drop(tmp_path / "inbox", "calls.txt", "安心e生医疗险理赔被拒")
    with caplog.at_level(logging.DEBUG, logger="yujing"):
        run(daemon)
    [record] = daemon_records(caplog)
    assert (record.levelno, record.getMessage()) == (logging.INFO, "source hotline: 1 items, 1 new")


def test_a_failing_run_is_logged_once(daemon, caplog, monkeypatch) -> None:
    async def broken(self, source, context):
        raise RuntimeError("share unmounted")

    monkeypatch.setattr(InboxCollector, "collect", broken)
    with caplog.at_level(logging.DEBUG, logger="yujing"):
        run(daemon)
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in loud] == ["source hotline: RuntimeError: share unmounted"]
    assert "share unmounted" in str(loud[0].exc_info[1])


def test_a_stored_error_is_escaped_and_holds_no_personal_number(daemon, tmp_path) -> None:
    drop(tmp_path / "inbox", "bad_13912345678\nforged.jsonl", "not json\n")
    run(daemon)
    [(error,)] = daemon.store.db.execute("SELECT last_error FROM source_runs").fetchall()
    assert error.startswith("bad_[手机号]\\nforged.jsonl line 1: invalid JSON")
