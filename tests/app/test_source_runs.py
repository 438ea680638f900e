"""The daemon's source runs over real HTTP: crawl state kept in the store across runs and
restarts, edited posts updated, feeds polled with conditional GETs, and a source that keeps
failing raising a source-health alert that reaches a receiver and resolves when it recovers."""

from __future__ import annotations

import itertools
import json
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from testkit.fakes.board import Board, Feed, board_config
from yujing.app.components.sources import Sources
from yujing.app.daemon import Daemon
from yujing.app.status import print_status
from yujing.config import load_config
from yujing.detector.source_health import RunOutcome
from yujing.records import post_id, utcnow

PRODUCTS = [{"id": "anxin-e", "name": "安心e生医疗险"}]


@pytest.fixture
def board() -> Iterator[Board]:
    with Board(per_page=3) as b:
        for i in range(6):
            b.add(f"帖子{i}", f"第{i}个帖子：安心e生医疗险理赔被拒，客服推脱。")
        yield b


def write_config(tmp_path: Path, sources: list[dict[str, Any]], **extra: Any) -> Path:
    config = {
        "storage": {"path": str(tmp_path / "y.db")},
        "alerts_file": None,
        "products": PRODUCTS,
        "sources": sources,
        "notify": {
            "receivers": [
                {"name": "log", "type": "log"},
                {"name": "ops", "type": "file", "path": str(tmp_path / "ops.jsonl")},
            ],
            # Source-health alerts go to the people who run the crawlers, not the PR team.
            # Told at once (grouping's timers are tested on their own).
            "route": {
                "receiver": "log",
                "group_wait": "0s",
                "group_interval": "1s",
                "routes": [{"matchers": ["kind=source"], "receiver": "ops"}],
            },
        },
        **extra,
    }
    path = tmp_path / "yujing.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run(in_reactor, daemon: Daemon, name: str):
    return in_reactor(daemon.get(Sources).run_source(name))


def board_paths(board: Board, since: int) -> list[str]:
    return board.paths("/board/")[since:]


def test_runs_fetch_only_what_changed_update_edited_posts_and_survive_a_restart(
    tmp_path, in_reactor, board
) -> None:
    path = write_config(tmp_path, [board_config(board)])
    daemon = Daemon(path)
    try:
        first = run(in_reactor, daemon, "board")
        assert (first.items, first.accepted, first.errors) == (6, 6, 0)
        mark = len(board.paths("/board/"))
        again = run(in_reactor, daemon, "board")
        assert (again.items, again.errors) == (0, 0)
        assert board_paths(board, mark) == ["/board/list-1.html"]

        # An answer and an edit: the entry shows a new reply, so the thread is read again and
        # the stored post takes the new text under its id and row.
        edited = board.thread(103)
        edited.replies, edited.last_reply = 1, "2026-11-22 08:00"
        edited.text = "第2个帖子（已编辑）：安心e生医疗险理赔被拒，已向监管投诉。"
        pid = post_id("board", board.base + "/board/t-103.html")
        rowid = daemon.store.db.execute("SELECT rowid FROM posts WHERE id=?", (pid,)).fetchone()
        mark = len(board.paths("/board/"))
        third = run(in_reactor, daemon, "board")
        assert third.accepted == 0 and "/board/t-103.html" in board_paths(board, mark)
        # Stored as understood (NFKC: full-width punctuation folded).
        assert daemon.store.posts.get(pid)["text"] == unicodedata.normalize("NFKC", edited.text)
        assert daemon.store.posts.count() == 6
        assert (
            daemon.store.db.execute("SELECT rowid FROM posts WHERE id=?", (pid,)).fetchone()
            == rowid
        )
    finally:
        daemon.close()

    # Down for a while; two threads came meanwhile. The restarted daemon fetches those two.
    new = [board.add(f"新帖{i}", f"第{i}个新帖：福满堂年金险退保只退一半。") for i in range(2)]
    mark = len(board.paths("/board/"))
    daemon = Daemon(path)
    try:
        after = run(in_reactor, daemon, "board")
        assert after.accepted == 2
        fetched = [p for p in board_paths(board, mark) if "/t-" in p]
        assert sorted(fetched) == sorted(f"/board/t-{t.id}.html" for t in new)
    finally:
        daemon.close()


def test_an_unchanged_feed_costs_one_304_and_stores_nothing(tmp_path, in_reactor) -> None:
    modified = "Sat, 21 Nov 2026 08:00:00 GMT"
    with Feed() as feed:
        feed.add("c-1", "安心e生医疗险拒赔", "安心e生医疗险理赔被拒，客服推脱。", modified)
        source = {"name": "tousu", "type": "feed", "url": feed.base + "/feed.xml", "delay": 0}
        daemon = Daemon(write_config(tmp_path, [source]))
        try:
            assert run(in_reactor, daemon, "tousu").accepted == 1
            assert daemon.store.validators.get("tousu").etag == '"v1"'
            before = len(feed.requests)
            second = run(in_reactor, daemon, "tousu")
            [get] = [r for r in feed.requests[before:] if r.path == "/feed.xml"]
            assert get.headers["If-None-Match"] == '"v1"'
            assert get.headers["If-Modified-Since"] == modified
            assert (second.items, second.accepted, second.errors) == (0, 0, 0)
            assert daemon.store.posts.count() == 1
        finally:
            daemon.close()


_STEP = itertools.count(1)


def later() -> datetime:
    """Delivery's clock, each call past the route's one-second group_interval from the last."""
    return utcnow() + timedelta(seconds=10 * next(_STEP))


def ops_messages(tmp_path: Path) -> list[dict[str, Any]]:
    file = tmp_path / "ops.jsonl"
    if not file.exists():
        return []
    lines = file.read_text(encoding="utf-8").splitlines()
    return [alert for line in lines for alert in json.loads(line)["alerts"]]


def test_a_changed_layout_raises_a_source_alert_after_three_runs_and_resolves_on_recovery(
    tmp_path, in_reactor, board
) -> None:
    daemon = Daemon(write_config(tmp_path, [board_config(board)]))
    notifier = daemon.pipeline.notifier
    try:
        assert run(in_reactor, daemon, "board").errors == 0
        board.layout = "v2"  # redesigned: the old list selector finds nothing
        for n in (1, 2):
            report = run(in_reactor, daemon, "board")
            assert (report.errors, report.problem) == (1, "no_items")
            notifier.deliver_due(later())
            assert ops_messages(tmp_path) == [], f"not after {n} failed run(s)"
        run(in_reactor, daemon, "board")
        notifier.deliver_due(later())
        [fired] = ops_messages(tmp_path)
        assert fired["event"] == "firing" and fired["kind"] == "source"
        assert fired["labels"]["source"] == "board" and fired["severity"] == "orange"
        assert fired["reasons"][0] == (
            "论坛 board 连续 3 次抓取失败：列表页选择器 list.link 没有匹配到任何内容，"
            "可能是网站改版"
        )
        assert fired["reasons"][1].startswith("最近一次错误：GET ")

        out = Console(width=250, record=True)
        print_status(load_config(daemon.config_path), out)
        text = out.export_text()
        assert (
            "failing ×3" in text
            and "failing since " in text
            and "list.link matched nothing" in text
        )

        # A fourth failure changes nothing for the receivers: one alert per outage.
        run(in_reactor, daemon, "board")
        notifier.deliver_due(later())
        assert len(ops_messages(tmp_path)) == 1

        board.layout = "v1"
        assert run(in_reactor, daemon, "board").errors == 0
        notifier.deliver_due(later())
        fired, resolved = ops_messages(tmp_path)
        assert resolved["event"] == "resolved" and resolved["id"] == fired["id"]
        assert resolved["reasons"][-1] == "论坛 board 已恢复正常，本次抓取 0 条"
        assert not daemon.store.health.get("board").failing
    finally:
        daemon.close()


def test_failing_for_a_duration_raises_the_alert_once_that_long_has_passed(tmp_path) -> None:
    source = {
        "name": "down",
        "type": "feed",
        "url": "http://127.0.0.1:9/feed.xml",
        "health": {"failing_for": "30m", "severity": "red"},
    }
    daemon = Daemon(write_config(tmp_path, [source]))
    try:
        feed = daemon.config.sources[0]
        down = RunOutcome(
            0, 1, "GET http://127.0.0.1:9/feed.xml: connection refused", "unreachable"
        )
        t0 = utcnow().replace(microsecond=0)  # the store keeps whole seconds
        for minutes in (0, 10, 20, 29):
            assert daemon.pipeline.source_ran(feed, down, t0 + timedelta(minutes=minutes)) is None
        event = daemon.pipeline.source_ran(feed, down, t0 + timedelta(minutes=30))
        assert event is not None and event.alert.severity.value == "red"
        assert event.alert.reasons[0] == (
            "订阅源 down 连续 5 次抓取失败：网站无法访问（连接失败或超时），可能是网站宕机或网络不通"
        )
        assert event.alert.started_at == t0
        # The same outage stays one alert across a restart of the daemon.
        daemon.close()
        daemon = Daemon(tmp_path / "yujing.yaml")
        assert daemon.pipeline.source_ran(feed, down, t0 + timedelta(minutes=40)) is None
        ok = RunOutcome(2, 0, None, None)
        resolved = daemon.pipeline.source_ran(feed, ok, t0 + timedelta(minutes=45))
        assert resolved is not None and resolved.event.value == "resolved"
        assert resolved.alert.id == event.alert.id
    finally:
        daemon.close()


def test_routes_may_match_source_alerts_by_kind_and_source(tmp_path) -> None:
    from yujing.config import ConfigError

    path = write_config(tmp_path, [{"name": "board", "type": "feed", "url": "http://x/f.xml"}])
    good = yaml.safe_load(path.read_text(encoding="utf-8"))
    good["notify"]["route"]["routes"][0]["matchers"] = ["kind=source", "source=board"]
    path.write_text(yaml.safe_dump(good, allow_unicode=True), encoding="utf-8")
    assert load_config(path).notify.route.routes[0].matchers == ["kind=source", "source=board"]
    bad = yaml.safe_load(path.read_text(encoding="utf-8"))
    bad["notify"]["route"]["routes"][0]["matchers"] = ["source=bord"]
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="did you mean 'board'"):
        load_config(path)


def test_status_shows_a_failing_source_with_its_reason_as_written(tmp_path) -> None:
    source = {"name": "down", "type": "feed", "url": "http://127.0.0.1:9/feed.xml"}
    path = write_config(tmp_path, [source])
    daemon = Daemon(path)
    try:
        feed = daemon.config.sources[0]
        # A reason holding what the console would take for markup, as a URL can.
        error = "GET http://127.0.0.1:9/[bold]feed[/bold].xml: connection refused"
        t0 = utcnow().replace(microsecond=0) - timedelta(hours=1)
        for minutes in (0, 10):
            run_id = daemon.store.runs.start("down")
            daemon.store.runs.finish(run_id, 0, 0, 1, error)
            down = RunOutcome(0, 1, error, "unreachable")
            daemon.pipeline.source_ran(feed, down, t0 + timedelta(minutes=minutes))
    finally:
        daemon.close()
    out = Console(width=300, record=True)
    print_status(load_config(path), out)
    text = out.export_text()
    assert error in text
    assert "failing ×2" in text and "failing since " in text


def test_a_feed_whose_posts_failed_to_store_is_fetched_in_full_next_time(
    tmp_path, in_reactor, monkeypatch
) -> None:
    modified = "Sat, 21 Nov 2026 08:00:00 GMT"
    with Feed() as feed:
        feed.add("c-1", "安心e生医疗险拒赔", "安心e生医疗险理赔被拒，客服推脱。", modified)
        source = {"name": "tousu", "type": "feed", "url": feed.base + "/feed.xml", "delay": 0}
        daemon = Daemon(write_config(tmp_path, [source]))
        try:

            def disk_full(batch, understood=None, sketches=None):
                raise OSError("database or disk is full")

            monkeypatch.setattr(daemon.pipeline, "accept_many", disk_full)
            failed = run(in_reactor, daemon, "tousu")
            assert failed.errors == 1 and daemon.store.posts.count() == 0
            # Kept now, the validators would make the next poll a 304 and the entry lost.
            assert daemon.store.validators.get("tousu").etag is None
            monkeypatch.undo()
            before = len(feed.requests)
            assert run(in_reactor, daemon, "tousu").accepted == 1
            [get] = [r for r in feed.requests[before:] if r.path == "/feed.xml"]
            assert "If-None-Match" not in get.headers
        finally:
            daemon.close()


def test_a_source_gone_quiet_without_errors_raises_a_flatline_alert(tmp_path) -> None:
    """ElastAlert's flatline: runs without errors but far fewer posts than the source's usual
    (a login wall, an empty search) fire once, and resolve when it is well back."""
    source = {
        "name": "tousu",
        "type": "feed",
        "url": "http://127.0.0.1:9/feed.xml",
        "health": {"quiet_for": "6h", "quiet_ratio": 0.1},
    }
    daemon = Daemon(write_config(tmp_path, [source]))
    try:
        feed = daemon.config.sources[0]
        runs = daemon.store.runs
        t0 = utcnow().replace(microsecond=0) - timedelta(days=3)

        def ran(hour: float, accepted: int):
            at = t0 + timedelta(hours=hour)
            run_id = runs.start("tousu", at)
            runs.finish(run_id, accepted, accepted, 0, None)
            return daemon.pipeline.source_ran(feed, RunOutcome(accepted, 0, None, None), at)

        events = [ran(h, 4) for h in range(0, 48)]  # two days of about 4 new posts an hour
        assert events == [None] * 48
        quiet = [ran(48 + h, 0) for h in range(0, 7)]  # then nothing, and no error either
        fired = [e for e in quiet if e is not None]
        assert len(fired) == 1 and fired[0].event.value == "firing"
        alert = fired[0].alert
        assert alert.labels["kind"] == "source" and alert.key == "source:tousu/quiet"
        assert alert.reasons[0].startswith("订阅源 tousu 6 小时内只新增 0 条，平时约 24 条")
        assert quiet.index(fired[0]) == 6  # once the last six hours hold no post at all
        back = [ran(55 + h, 4) for h in range(0, 6)]
        resolved = [e for e in back if e is not None]
        assert len(resolved) == 1 and resolved[0].event.value == "resolved"
        assert resolved[0].alert.id == alert.id
    finally:
        daemon.close()


def test_a_source_too_quiet_to_judge_raises_nothing(tmp_path) -> None:
    source = {
        "name": "rare",
        "type": "feed",
        "url": "http://127.0.0.1:9/feed.xml",
        "health": {"quiet_for": "6h"},
    }
    daemon = Daemon(write_config(tmp_path, [source]))
    try:
        feed = daemon.config.sources[0]
        t0 = utcnow().replace(microsecond=0) - timedelta(days=3)
        for h in range(0, 60):  # one post every six hours: fewer than quiet_min in a span
            at = t0 + timedelta(hours=h)
            run_id = daemon.store.runs.start("rare", at)
            new = 1 if h % 6 == 0 and h < 48 else 0
            daemon.store.runs.finish(run_id, new, new, 0, None)
            assert daemon.pipeline.source_ran(feed, RunOutcome(new, 0, None, None), at) is None
    finally:
        daemon.close()
