"""The daemon builds its parts from a list, starts them, tells them of reloads, stops them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from yujing.app.components import COMPONENTS, Component, NotConfigured, Reload
from yujing.app.components.delivery import Delivery
from yujing.app.components.detection import Detection
from yujing.app.daemon import Daemon
from yujing.app.lock import StoreLocked

CONFIG = """
storage:
  path: {db}
alerts_file: null
products:
  - id: anxin-e
    name: 安心e生医疗险
"""

calls: list[str] = []


class Recorder(Component):
    def start(self, scheduler) -> None:
        calls.append("start")
        self.every(scheduler, "recorder", 3600, self.tick)

    async def tick(self) -> None:
        calls.append("tick")

    def reload_attempted(self) -> None:
        calls.append("attempted")

    def reload(self, change: Reload) -> None:
        calls.append(f"reload {len(change.old_config.products)}->{len(change.new_config.products)}")
        assert change.new_pipeline is self.daemon.pipeline is not change.old_pipeline

    async def stop(self) -> None:
        calls.append("stop")


class Second(Recorder):
    async def stop(self) -> None:
        calls.append("stop second")


class Unwanted(Component):
    @classmethod
    def from_daemon(cls, daemon: Daemon) -> Component:
        raise NotConfigured("the config does not ask for it")


def write(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "yujing.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "y.db") + extra, encoding="utf-8")
    return path


def test_the_default_parts_are_built_in_order(tmp_path: Path) -> None:
    daemon = Daemon(write(tmp_path))
    names = [type(c).__name__ for c in daemon.components]
    assert names == [entry.split(":")[1] for entry in COMPONENTS]
    assert isinstance(daemon.get(Detection), Detection) and isinstance(
        daemon.get(Delivery), Delivery
    )
    daemon.close()


def test_not_configured_parts_are_left_out_and_the_rest_start_reload_and_stop_in_order(
    tmp_path: Path,
) -> None:
    calls.clear()
    path = write(tmp_path)
    daemon = Daemon(path, components=[Recorder, Unwanted, Second])
    assert [type(c) for c in daemon.components] == [Recorder, Second]

    more = "  - id: zhongan-baiwan\n    name: 众安百万医疗\n"
    path.write_text(path.read_text(encoding="utf-8") + more, encoding="utf-8")
    assert daemon.reload() is True
    assert calls == ["attempted", "attempted", "reload 1->2", "reload 1->2"]

    calls.clear()
    path.write_text("storage: {path: [not, a, path]}\n", encoding="utf-8")
    assert daemon.reload() is False  # invalid: reported, the last good config keeps running
    assert calls == ["attempted", "attempted"]
    assert len(daemon.config.products) == 2

    calls.clear()
    until = asyncio.Event()

    async def run() -> None:
        asyncio.get_running_loop().call_later(0.2, until.set)
        # Parts that stop at once are not waited on longer (the shutdown's reports aside).
        await asyncio.wait_for(daemon.serve(until=until), 5)

    asyncio.run(run())
    assert calls == ["start", "start", "stop", "stop second"]
    assert daemon.scheduler is not None and not daemon.scheduler.running


def test_a_second_daemon_on_the_same_store_refuses_to_start(tmp_path: Path) -> None:
    path = write(tmp_path)
    first = Daemon(path, components=[])
    with pytest.raises(StoreLocked) as info:
        Daemon(path, components=[])
    message = str(info.value)
    assert str(tmp_path / "y.db") in message and f"process {os.getpid()}" in message
    assert "another yujing daemon is already running on this store" in message
    first.close()
    Daemon(path, components=[]).close()  # released: the next one starts


def test_the_lock_goes_with_the_process_however_it_ends(tmp_path: Path) -> None:
    path = write(tmp_path)
    code = (
        "import os, sys; from yujing.app.daemon import Daemon;"
        f"Daemon({str(path)!r}, components=[]); print('locked', flush=True); os.kill(os.getpid(), 9)"
    )
    killed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert killed.returncode == -9 and "locked" in killed.stdout
    Daemon(path, components=[]).close()  # no stale lock after kill -9


def test_detection_wakes_delivery_without_waiting_for_it(tmp_path: Path) -> None:
    daemon = Daemon(write(tmp_path), components=[Detection, Delivery])
    release = asyncio.Event()
    delivered: list[str] = []

    async def slow_deliver() -> None:  # a chat service that takes its time
        await release.wait()
        delivered.append("sent")

    daemon.get(Delivery).deliver = slow_deliver  # type: ignore[method-assign]
    daemon.pipeline.detect = lambda now, all_products=False: ["an event"]  # type: ignore[method-assign]

    async def run() -> list:
        # Bounded only so a regression fails instead of hanging: detect must not wait at all.
        events = await asyncio.wait_for(daemon.get(Detection).detect(), 30)
        assert delivered == [], "detect returned while the delivery was still going"
        release.set()
        await daemon.get(Delivery)._woken
        return events

    assert asyncio.run(run()) == ["an event"]
    assert delivered == ["sent"]
    daemon.close()


def test_a_reload_during_shutdown_is_skipped(tmp_path: Path) -> None:
    calls.clear()
    path = write(tmp_path)
    daemon = Daemon(path, components=[Recorder])
    pipeline = daemon.pipeline

    class ReloadWhileStopping(Recorder):
        async def stop(self) -> None:
            # A SIGHUP arriving while the parts stop must not build a pipeline nobody closes.
            path.write_text(path.read_text(encoding="utf-8") + "timezone: UTC\n", "utf-8")
            assert daemon.reload() is False
            calls.append("stop")

    daemon.components = [ReloadWhileStopping(daemon)]
    asyncio.run(daemon.shutdown())
    assert daemon.pipeline is pipeline and calls == ["stop"]


def test_spiders_are_told_which_posts_are_known_under_every_id_and_reloads_keep_the_index(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    from yujing.crawlers.run import known_url
    from yujing.records import Post, post_id

    path = write(tmp_path)
    daemon = Daemon(path)
    at = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    text = "安心e生医疗险理赔被拒，理由是既往症未告知，可投保时根本没问过，客服一直推脱。"
    url = "https://bbs.example/thread-1.html"

    def sighting(source: str, native_id: str, author: str | None, minutes: int) -> Post:
        when = at + timedelta(minutes=minutes)
        return Post(source, url, post_id(source, native_id), author, "拒赔", text, when, when)

    assert daemon.pipeline.accept(sighting("bbs", url, "a1b2", 0))
    assert not daemon.pipeline.accept(sighting("bbs-rss", "guid-1", None, 5))  # its feed copy
    assert known_url(daemon.store, "bbs")(url) and known_url(daemon.store, "bbs-rss")("guid-1")
    assert not known_url(daemon.store, "bbs-rss")("guid-2")

    identity = daemon.pipeline.identity
    path.write_text(path.read_text(encoding="utf-8") + "  - id: b\n    name: b\n", "utf-8")
    assert daemon.reload() and daemon.pipeline.identity is identity, "not rebuilt on reload"
    daemon.store.close()


def test_the_inbox_works_off_the_loop_and_stores_on_it(tmp_path: Path, monkeypatch) -> None:
    import json
    import threading
    import time

    from yujing.app.components.sources import Sources
    from yujing.crawlers.inbox import TranscriptInbox

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    calls = [{"id": f"c{i}", "text": f"安心e生医疗险理赔被拒，第{i}位客户投诉"} for i in range(3)]
    (inbox / "calls.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in calls), encoding="utf-8"
    )
    old = time.time() - 60
    os.utime(inbox / "calls.jsonl", (old, old))
    path = tmp_path / "yujing.yaml"
    path.write_text(
        CONFIG.format(db=tmp_path / "y.db")
        + f"sources:\n  - {{name: hotline, type: transcripts, path: {inbox}}}\n",
        encoding="utf-8",
    )
    daemon = Daemon(path)
    started, release = threading.Event(), threading.Event()
    process = TranscriptInbox.process
    stored_on: list[int] = []

    def slow_process(self, sink):  # a big file: the thread is busy until the loop answers
        started.set()
        assert release.wait(30), "the loop was held while the inbox worked"
        return process(self, sink)

    monkeypatch.setattr(TranscriptInbox, "process", slow_process)
    accept_many = daemon.pipeline.accept_many

    def recording(batch):
        stored_on.append(threading.get_ident())
        return accept_many(batch)

    daemon.pipeline.accept_many = recording  # type: ignore[method-assign]

    async def run():
        loop_thread = threading.get_ident()
        task = asyncio.create_task(daemon.get(Sources).run_source("hotline"))
        await asyncio.to_thread(started.wait, 30)
        release.set()  # only reachable while the inbox pass runs if it does not hold the loop
        return loop_thread, await asyncio.wait_for(task, 60)

    loop_thread, report = asyncio.run(run())
    assert (report.items, report.accepted, report.errors) == (3, 3, 0)
    assert stored_on == [loop_thread], "one batch, stored on the loop's thread"
    assert (inbox / "done" / "calls.jsonl").exists()
    daemon.close()


def test_indexing_names_products_and_categories_and_applies_retention(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from testkit.fakes.elasticsearch import FakeElasticsearch
    from yujing.app.components.indexing import Indexing
    from yujing.config import Config
    from yujing.records import Post, ScoredPost, post_id, utcnow
    from yujing.store import Store

    with FakeElasticsearch() as es:
        config = Config.model_validate(
            {
                "storage": {"path": str(tmp_path / "y.db")},
                "alerts_file": None,
                "products": [{"id": "anxin-e", "name": "安心e生医疗险"}],
                "categories": [{"id": "claims", "name": "理赔难/拒赔", "keywords": ["拒赔"]}],
                "elasticsearch": {"hosts": [es.url], "index_prefix": "yj", "retention": "90d"},
            }
        )
        store = Store(config.storage.path)
        now = utcnow()
        url = "https://bbs.example.cn/t/1"
        post = Post("forum", url, post_id("forum", url), None, "拒赔", "安心e生拒赔", now, now)
        store.posts.accept(ScoredPost(post, ("anxin-e",), ("claims",), 0.9))
        indexing = Indexing(SimpleNamespace(config=config, store=store))
        try:
            asyncio.run(indexing.index_posts())
        finally:
            asyncio.run(indexing.stop())
            store.close()
        (doc,) = es.bulk_docs()
    assert doc["_index"] == f"yj-posts-{now:%Y.%m}.01"
    assert doc["source"]["product_names"] == ["安心e生医疗险"]
    assert doc["source"]["category_names"] == ["理赔难/拒赔"]
    assert doc["source"]["sentiment_label"] == "正面"
    assert es.policies["yj-posts"]["policy"]["phases"]["delete"]["min_age"] == "121d"


def test_a_chat_service_slow_to_answer_never_holds_up_an_inbox_on_its_interval(
    tmp_path: Path, monkeypatch
) -> None:
    """Slack (the stand-in) takes the message and answers only when the test lets it: a send
    that takes as long as the test likes. Meanwhile the inbox, on its 1 s interval, takes one
    file after another: the send waits in a worker thread, the loop goes on."""
    import json
    import time

    from testkit.fakes.slack import FakeSlack
    from yujing.alerts import AlertEvent, EventKind
    from yujing.app.components.sources import Sources
    from yujing.store import Store

    from ..notifier.conftest import make_alert, notification

    token = "xoxb-1111-2222-fake"
    monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    db = tmp_path / "y.db"
    event = AlertEvent(EventKind.FIRING, make_alert())
    store = Store(db)  # an alert already queued, as a detection leaves it
    row = store.outbox.enqueue("slack", notification(event, receiver="slack").to_dict())
    store.close()

    def outbox_row() -> tuple:
        store = Store(db)
        try:
            return store.db.execute(
                "SELECT attempts, delivered_at FROM outbox WHERE id=?", (row,)
            ).fetchone()
        finally:
            store.close()

    def finished_runs() -> int:
        store = Store(db)
        try:
            return store.db.execute(
                "SELECT count(*) FROM source_runs WHERE source='hotline' AND finished_at IS NOT NULL"
            ).fetchone()[0]
        finally:
            store.close()

    async def until(check, what: str) -> None:
        deadline = time.monotonic() + 30  # only so that a regression fails instead of hanging
        while not check():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.05)

    with FakeSlack(token=token) as slack:
        path = tmp_path / "yujing.yaml"
        path.write_text(
            CONFIG.format(db=db)
            + f"sources:\n  - {{name: hotline, type: transcripts, path: {inbox}, interval: 1s}}\n"
            + "notify:\n  receivers:\n"
            + "    - {name: slack, type: slack, token: '${SLACK_BOT_TOKEN}', channel: C123,"
            + f" base_url: '{slack.api_url}'}}\n"
            + "  route: {receiver: slack}\n",
            encoding="utf-8",
        )
        daemon = Daemon(path, components=[Sources, Delivery])
        slack.slow(times=1)

        async def run() -> None:
            stop = asyncio.Event()
            serving = asyncio.create_task(daemon.serve(stop))
            await until(lambda: daemon.scheduler is not None, "the daemon to start")
            daemon.get(Delivery).wake()
            await until(slack.messages, "the post to reach Slack")
            runs = finished_runs()
            for k in range(3):
                name = f"calls-{k}.jsonl"
                call = {"id": f"c{k}", "text": f"安心e生医疗险理赔被拒，第{k}位客户投诉"}
                (inbox / name).write_text(json.dumps(call, ensure_ascii=False), "utf-8")
                os.utime(inbox / name, (time.time() - 60, time.time() - 60))
                await until(lambda n=name: (inbox / "done" / n).exists(), f"{name} taken")
            # Three files taken, each on a later run, while the send still waits for Slack.
            assert finished_runs() >= runs + 3
            assert outbox_row() == (0, None), "the send has neither ended nor failed"
            assert daemon.get(Delivery).lock.locked(), "the delivery is in flight"
            slack.release()
            await until(lambda: outbox_row()[1] is not None, "the delivery to end")
            stop.set()
            await serving

        asyncio.run(run())
    assert len(slack.messages()) == 1


class Stuck(Component):
    """A part whose stop never finishes on its own (a crawl stuck in a slow site, say)."""

    async def stop(self) -> None:
        calls.append("stop stuck")
        await asyncio.Event().wait()


def test_a_slow_stop_is_said_and_a_second_signal_stops_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import signal

    import yujing.app.daemon as daemon_module

    monkeypatch.setattr(daemon_module, "STOP_REPORT_EVERY", 0.1)
    calls.clear()
    path = write(tmp_path)
    daemon = Daemon(path, components=[Stuck, Second])

    async def run() -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, os.kill, os.getpid(), signal.SIGTERM)
        # The second signal once the first has been waited on for a while.
        loop.call_later(0.9, os.kill, os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(daemon.serve(), 20)

    with caplog.at_level("INFO", logger="yujing.daemon"):
        asyncio.run(run())
    said = [r.getMessage() for r in caplog.records]
    waiting = [m for m in said if m.startswith("stopping: still waiting for Stuck after")]
    assert waiting and "SIGTERM (Ctrl-C) again stops at once" in waiting[0]
    assert "stopped without waiting for Stuck to finish" in said
    # The parts after it still stop, and the store and its lock are let go.
    assert [c for c in calls if c.startswith("stop")] == ["stop stuck", "stop second"]
    assert said[-1] == "yujing stopped; accepted posts are committed"
    Daemon(path, components=[]).close()
