"""Crawled posts understood in a worker process: the store exactly as understanding them in the
daemon's own process leaves it, and a worker that dies costs no post."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.fakes.board import Board, board_config
from yujing.app.components.sources import Sources
from yujing.app.daemon import Daemon
from yujing.app.intake import Intake
from yujing.app.understanding import Understanding, Understood
from yujing.config import ForumSource, load_config
from yujing.crawlers.run import crawl_source
from yujing.detector.understand import understander_for
from yujing.records import Post, utcnow
from yujing.store import Store

from .test_ingest_workers import COMPLAINTS, ROOT, stored

SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "WARNING",
    # One page at a time: the pages come in the same order in every crawl, so the posts do.
    "CONCURRENT_REQUESTS": 1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "YUJING_BATCH_SIZE": 10,
    "YUJING_BATCH_SECONDS": 0.01,
}


@pytest.fixture(scope="module")
def board() -> Iterator[Board]:
    """Complaints with a varying detail and a phone number to redact, and a copy campaign."""
    with Board(per_page=20) as b:
        for i in range(55):
            if i % 6 == 0:
                text = "联名投诉：安心e生医疗险无理拒赔，要求公开道歉！"
            else:
                text = f"{COMPLAINTS[i % len(COMPLAINTS)]}，第{i}帖，电话1391234{i:04d}"
            b.add(f"帖子{i}", text)
        yield b


def crawl_into(
    in_reactor, board: Board, path: Path, jobs: int, kill_worker: bool = False
) -> tuple[list[tuple], Understanding]:
    config = load_config(ROOT / "config" / "demo.yaml")
    store = Store(path)
    intake = Intake(understander_for(config), store)
    understanding = Understanding(config, jobs)

    async def accept_crawled(batch: list[Post]) -> list[bool]:  # as the daemon's
        return intake.accept_many(batch, *await understanding.new_of(store, batch))

    async def scenario() -> int:
        if jobs > 1:
            assert await understanding.ready(), "the worker started"
            if kill_worker:
                os.kill(understanding.workers[0].process.pid, signal.SIGKILL)
        source = ForumSource.model_validate(board_config(board))
        result = await crawl_source(
            source, accept_crawled, salt="s", timezone="Asia/Shanghai", settings_overrides=SETTINGS
        )
        return result.accepted

    try:
        accepted = in_reactor(scenario(), timeout=120)
        assert accepted > 40
        return stored(store), understanding
    finally:
        understanding.close()
        store.close()


def test_a_worker_leaves_the_store_exactly_as_this_process_does(
    in_reactor, board: Board, tmp_path: Path
) -> None:
    alone, _ = crawl_into(in_reactor, board, tmp_path / "alone.db", jobs=1)
    together, understanding = crawl_into(in_reactor, board, tmp_path / "worker.db", jobs=2)
    assert understanding.batches >= 3, "the crawl's batches were understood by the worker"
    assert together == alone  # same rows, same order, same copy groups, scores, tags, redaction
    assert "1391234" not in str(together), "phone numbers redacted"


def test_a_worker_that_dies_costs_no_post(
    in_reactor, board: Board, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    alone, _ = crawl_into(in_reactor, board, tmp_path / "alone.db", jobs=1)
    lost, understanding = crawl_into(
        in_reactor, board, tmp_path / "lost.db", jobs=2, kill_worker=True
    )
    assert understanding.batches == 0 and understanding.workers == []
    assert lost == alone
    assert "understood here" in caplog.text


def test_with_one_cpu_no_worker_starts(in_reactor, board: Board, tmp_path: Path) -> None:
    _, understanding = crawl_into(in_reactor, board, tmp_path / "one.db", jobs=1)
    assert not understanding.parallel and understanding.workers == []
    assert understanding.batches == 0


def test_the_daemon_starts_new_workers_when_its_config_changes_and_stops_them_with_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "yujing.yaml"
    config = (
        f"storage: {{path: {tmp_path / 'y.db'}}}\nalerts_file: null\n"
        "products:\n  - {id: anxin-e, name: 安心e生医疗险}\n"
    )
    path.write_text(config, encoding="utf-8")
    daemon = Daemon(path, components=[Sources])
    sources = daemon.get(Sources)
    first = sources.understanding
    first.jobs = 2  # as on a machine with two CPUs, whatever this one has

    started: list = []
    running: list = []

    async def scenario() -> Understanding:
        assert await first.ready(), "a worker started"
        started.extend(w.process for w in first.workers)
        path.write_text(config + "timezone: UTC\n", encoding="utf-8")
        assert daemon.reload() is True
        second = sources.understanding
        second.jobs = 2
        assert await second.ready()
        running.extend(w.process for w in second.workers)
        await daemon.shutdown()
        return second

    second = asyncio.run(scenario())
    assert started and running
    assert second is not first and second.config.timezone == "UTC"
    assert first.workers == [] and not any(p.is_alive() for p in started), "old ones stopped"
    assert second.workers == [] and not any(p.is_alive() for p in running), "stopped with it"


def test_a_reload_stops_the_old_workers_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stopping a worker waits for it to exit: on the loop, HTTP and crawls would wait with it.
    path = tmp_path / "yujing.yaml"
    config = f"storage: {{path: {tmp_path / 'y.db'}}}\nalerts_file: null\n"
    path.write_text(config, encoding="utf-8")
    daemon = Daemon(path, components=[Sources])
    first = daemon.get(Sources).understanding
    closed_in: list[threading.Thread] = []
    monkeypatch.setattr(
        Understanding, "close", lambda self: closed_in.append(threading.current_thread())
    )

    async def scenario() -> threading.Thread:
        path.write_text(config + "timezone: UTC\n", encoding="utf-8")
        assert daemon.reload() is True
        await daemon.shutdown()
        return threading.current_thread()

    loop_thread = asyncio.run(scenario())
    assert daemon.get(Sources).understanding is not first
    assert len(closed_in) == 2, "the old workers at the reload, the new ones at shutdown"
    assert all(t is not loop_thread for t in closed_in)


def test_workers_closed_while_they_understand_a_batch_leave_it_to_the_daemon(in_reactor) -> None:
    config = load_config(ROOT / "config" / "demo.yaml")
    understanding = Understanding(config, 2)
    posts = [
        Post(
            source="s",
            url=f"http://x/{i}",
            id=f"p{i}",
            author=None,
            title="",
            text=f"{COMPLAINTS[i % len(COMPLAINTS)]}，第{i}帖",
            published_at=utcnow(),
            fetched_at=utcnow(),
        )  # fmt: skip
        for i in range(2000)
    ]

    async def scenario() -> tuple[Understood, Understood]:
        assert await understanding.ready()
        first = asyncio.ensure_future(understanding.understand(posts))
        await asyncio.sleep(0.05)  # sent, and being understood
        understanding.close()  # as a reload does
        return await first, await understanding.understand(posts)

    cut_short, after = in_reactor(scenario(), timeout=60)
    assert cut_short == ({}, {}) and after == ({}, {}), "left to the caller, no error"
    assert understanding.workers == []
