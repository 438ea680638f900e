"""The daemon's signals: parts hear of each other's work without calling or importing each other."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

from yujing.app import signals
from yujing.app.components import Component
from yujing.app.components.indexing import Indexing
from yujing.app.components.retention import Retention
from yujing.app.components.sources import Sources
from yujing.app.daemon import Daemon
from yujing.app.runs import SourceReport
from yujing.app.signals import SignalManager

from .test_source_run_logs import CONFIG


def test_handlers_are_called_in_order_and_one_that_fails_is_logged_not_raised(caplog) -> None:
    manager, heard = SignalManager(), []

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("gone")

    manager.connect(lambda count: heard.append(("first", count)) or 1, signal=signals.stopping)
    manager.connect(broken, signal=signals.stopping)
    manager.connect(lambda count: heard.append(("third", count)) or 3, signal=signals.stopping)
    with caplog.at_level(logging.ERROR, logger="yujing"):
        answers = manager.send_catch_log(signals.stopping, count=2)
    assert heard == [("first", 2), ("third", 2)]
    assert [a for _, a in answers][::2] == [1, 3] and isinstance(answers[1][1], RuntimeError)
    assert "stopping: handler" in caplog.text and "gone" in caplog.text
    with pytest.raises(RuntimeError, match="gone"):
        manager.send(signals.stopping, count=2)
    assert manager.send_catch_log(signals.posts_accepted, source="x", count=1) == []


def test_coroutine_handlers_are_awaited_one_after_another() -> None:
    manager, heard = SignalManager(), []

    async def slow(source: str) -> str:
        await asyncio.sleep(0.01)
        heard.append(f"slow {source}")
        return "done"

    manager.connect(slow, signal=signals.posts_accepted)
    manager.connect(lambda source: heard.append(f"quick {source}"), signal=signals.posts_accepted)
    manager.connect(slow, signal=signals.posts_accepted)  # once only
    answers = asyncio.run(manager.send_catch_log_async(signals.posts_accepted, source="bbs"))
    assert heard == ["slow bbs", "quick bbs"] and answers[0][1] == "done"


class Listener(Component):
    """A part that hears a source's run through the signals alone."""

    heard: list[tuple[str, Any]] = []

    @classmethod
    def from_daemon(cls, daemon: Any) -> Component:
        part = super().from_daemon(daemon)
        daemon.signals.connect(part.posts_accepted, signal=signals.posts_accepted)
        daemon.signals.connect(part.source_ran, signal=signals.source_ran)
        return part

    async def posts_accepted(self, source: str, count: int) -> None:
        self.heard.append(("posts_accepted", (source, count)))

    def source_ran(self, report: SourceReport) -> None:
        self.heard.append(("source_ran", (report.source, report.accepted)))


def test_a_source_run_is_told_to_the_parts_that_listen(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "calls.txt").write_text("安心e生医疗险理赔被拒", encoding="utf-8")
    old = time.time() - 60
    os.utime(inbox / "calls.txt", (old, old))
    path = tmp_path / "yujing.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "y.db", inbox=inbox), "utf-8")
    told: list[SourceReport] = []
    daemon = Daemon(path, components=[Sources, Listener], on_source=told.append)
    Listener.heard = []
    try:
        asyncio.run(daemon.get(Sources).run_source("hotline"))
        asyncio.run(daemon.get(Sources).run_source("hotline"))  # nothing new: no posts_accepted
    finally:
        daemon.close()
    assert Listener.heard == [
        ("source_ran", ("hotline", 1)),
        ("posts_accepted", ("hotline", 1)),
        ("source_ran", ("hotline", 0)),
    ]
    assert [r.accepted for r in told] == [1, 0]


def test_retention_keeps_what_a_reader_answering_posts_pruning_has_not_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "yujing.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "y.db", inbox=tmp_path / "inbox"), "utf-8")
    daemon = Daemon(path, components=[Retention, Indexing])
    try:
        retention = daemon.get(Retention)
        detector_cursor = retention.keep_after()  # no cluster configured: the indexer is idle
        daemon.signals.connect(lambda: -1, signal=signals.posts_pruning)
        assert retention.keep_after() == -1 < detector_cursor
    finally:
        daemon.close()
