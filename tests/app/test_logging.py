"""The log: JSON lines on request, quiet when nothing happens, each failure once."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from testkit.fakes.elasticsearch import FakeElasticsearch
from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.app.logs import JsonFormatter
from yujing.app.runs import RunLog, SourceReport
from yujing.config import Config
from yujing.notifier.dispatch import Notifier
from yujing.notifier.notification import Notification
from yujing.records import Post, utcnow
from yujing.store import Store


def record(message: str, *args: Any, level: int = logging.INFO, **extra: Any) -> logging.LogRecord:
    r = logging.LogRecord("yujing.daemon", level, __file__, 1, message, args, None)
    r.__dict__.update(extra)
    return r


def test_json_lines_carry_the_event_fields_and_stay_one_line() -> None:
    fmt = JsonFormatter(UTC)
    line = fmt.format(record("source %s: %d items, %d new", "hotline", 3, 2, source="hotline"))
    data = json.loads(line)
    assert data["level"] == "INFO" and data["logger"] == "yujing.daemon"
    assert data["message"] == "source hotline: 3 items, 2 new" and data["source"] == "hotline"
    assert datetime.fromisoformat(data["time"]).tzinfo is not None

    # A name with a newline cannot start a second, forged event line.
    forged = fmt.format(record("quarantined %s", "a.txt\n2026-11-30 INFO yujing: all good"))
    assert "\n" not in forged and json.loads(forged)["message"].endswith("all good")

    try:
        raise ValueError("坏的文件")
    except ValueError:
        import sys

        r = record("source %s failed", "inbox", level=logging.WARNING, source="inbox")
        r.exc_info = sys.exc_info()
    data = json.loads(fmt.format(r))
    assert "ValueError: 坏的文件" in data["exception"] and data["source"] == "inbox"


def report(items: int = 0, new: int = 0, error: str | None = None) -> SourceReport:
    return SourceReport("forum", items, new, 1 if error else 0, error)


def levels(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records]


def test_a_run_that_found_nothing_is_debug_and_a_failure_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    told = RunLog()
    with caplog.at_level(logging.DEBUG, logger="yujing.daemon"):
        told.tell(report())
        assert levels(caplog) == [("DEBUG", "source forum: 0 items, 0 new")]
        caplog.clear()

        told.tell(report(5, 2))
        assert levels(caplog) == [("INFO", "source forum: 5 items, 2 new")]
        caplog.clear()

        refused = "GET http://127.0.0.1:9/list: connection refused"
        for _ in range(3):  # a source down for three runs: one warning
            told.tell(report(error=refused))
        assert [lv for lv, _ in levels(caplog)].count("WARNING") == 1
        assert levels(caplog)[0] == ("WARNING", f"source forum: {refused}")
        assert all(r.source == "forum" for r in caplog.records)
        caplog.clear()

        told.tell(report(error="GET http://127.0.0.1:9/list: 503"))  # a new error: told
        told.tell(report(4, 0))
        assert levels(caplog) == [
            ("WARNING", "source forum: GET http://127.0.0.1:9/list: 503"),
            ("DEBUG", "source forum: 0 items, 0 new"),
            ("INFO", "source forum recovered"),
            ("DEBUG", "source forum: 4 items, 0 new"),
        ]
        caplog.clear()

        # A crashed run: its traceback once, then the same error is DEBUG.
        for _ in range(2):
            try:
                raise OSError("disk gone")
            except OSError as exc:
                told.tell(report(error="OSError: disk gone"), exc)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and warnings[0].exc_info is not None


def test_a_source_failing_for_hours_is_reminded_of_hourly_not_every_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    told = RunLog(clock=lambda: now[0])
    refused = "GET http://127.0.0.1:9/rss: HTTP 503"
    with caplog.at_level(logging.DEBUG, logger="yujing.daemon"):
        for minute in range(0, 150, 10):  # a run every ten minutes for two and a half hours
            now[0] = minute * 60.0
            told.tell(report(error=refused))
    warnings = [m for lv, m in levels(caplog) if lv == "WARNING"]
    assert warnings == [
        f"source forum: {refused}",
        f"source forum: still failing (60 min): {refused}",
        f"source forum: still failing (120 min): {refused}",
    ]


def test_a_quarantined_file_is_not_a_failing_source(caplog: pytest.LogCaptureFixture) -> None:
    """The inbox says each file it sets aside; the run's log does not say it again, and the
    next run is no recovery."""
    told = RunLog()
    bad = "calls.csv: line 2: field \"time\": '昨天下午' is not a time"
    with caplog.at_level(logging.DEBUG, logger="yujing.daemon"):
        told.tell(SourceReport("hotline", 3, 3, 1, bad, problem="quarantined"))
        told.tell(SourceReport("hotline", 2, 2, 0, None))
    assert levels(caplog) == [
        ("INFO", "source hotline: 3 items, 3 new"),
        ("INFO", "source hotline: 2 items, 2 new"),
    ]


def test_a_delivery_failing_on_every_retry_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Down:
        calls = 0

        def send(self, notification: Notification) -> None:
            Down.calls += 1
            if Down.calls <= 4:
                raise ConnectionError("connection refused")

    config = Config.model_validate(
        {
            "alerts_file": None,
            "products": [{"id": "anxin-e", "name": "安心e生医疗险"}],
            "notify": {
                "receivers": [{"name": "chat", "type": "log"}],
                "route": {"receiver": "chat", "group_wait": "0s", "repeat_interval": "48h"},
            },
        }
    )
    store = Store(tmp_path / "y.db")
    notifier = Notifier(config, store, receivers={"chat": Down()})
    t0 = datetime(2026, 11, 30, 6, tzinfo=UTC)
    alert = Alert(
        "burst:anxin-e",
        "burst:anxin-e@1",
        Severity.RED,
        AlertState.FIRING,
        t0,
        t0,
        labels={"kind": "burst", "product": "anxin-e"},
    )
    notifier.submit(AlertEvent(EventKind.FIRING, alert))
    now = utcnow()
    with caplog.at_level(logging.DEBUG, logger="yujing.notifier"):
        for _ in range(5):
            notifier.deliver_due(now)
            now += timedelta(hours=2)  # past any backoff
    assert Down.calls == 5
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [r.levelname for r in shown] == ["WARNING", "INFO"]
    assert "to chat failed (attempt 1" in shown[0].getMessage()
    assert shown[1].getMessage() == 'delivered {product="anxin-e"} to chat after 4 failed attempts'
    assert shown[0].group == '{product="anxin-e"}' and shown[0].receiver == "chat"
    store.close()


QUIET_CONFIG = """
storage: {{path: {db}}}
alerts_file: null
http: {{listen: null}}
products:
  - {{id: anxin-e, name: 安心e生医疗险}}
sources:
  - name: downforum
    type: forum
    url: http://127.0.0.1:{port}/list
    interval: 1s
    delay: 0
    list: {{link: "a::attr(href)"}}
    detail: {{title: "h1::text", text: "div.body"}}
  - name: hotline
    type: transcripts
    path: {inbox}
    interval: 1s
elasticsearch:
  hosts: ["{es}"]
"""


def test_the_running_daemon_is_quiet_when_nothing_happens_and_tells_each_failure_once(
    tmp_path: Path, reactor_thread, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio
    import socket
    import time

    from yujing.app.components.indexing import Indexing
    from yujing.app.daemon import Daemon

    with socket.socket() as s:  # a port nobody listens on: the forum is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "inbox").mkdir()
    es = FakeElasticsearch().start()
    es.fail(401)  # refused at once, so each pass fails fast (no node backoff to wait through)
    cfg = tmp_path / "yujing.yaml"
    text = QUIET_CONFIG.format(db=tmp_path / "y.db", port=port, inbox=tmp_path / "inbox", es=es.url)
    cfg.write_text(text, "utf-8")
    daemon = Daemon(cfg)
    runs = lambda source: daemon.store.db.execute(  # noqa: E731
        "SELECT count(*) FROM source_runs WHERE source=? AND finished_at IS NOT NULL", (source,)
    ).fetchone()[0]
    indexing = daemon.get(Indexing)
    at = utcnow()
    post = Post("hotline", "call:1", "hotline:1", None, "", "安心e生理赔被拒", at, at)
    assert daemon.pipeline.accept(post)  # a post waiting to be indexed
    until = asyncio.Event()

    async def serve() -> None:
        await daemon.serve(until=until)

    with caplog.at_level(logging.INFO):
        future = asyncio.run_coroutine_threadsafe(serve(), reactor_thread.loop)
        try:
            deadline = time.monotonic() + 60
            # Two runs of the down forum: the second fails as the first did.
            while runs("downforum") < 2 or runs("hotline") < 3:
                assert time.monotonic() < deadline, "runs of each source"
                time.sleep(0.2)
            for _ in range(3):  # three indexing passes against the down cluster
                asyncio.run_coroutine_threadsafe(
                    indexing.index_posts(), reactor_thread.loop
                ).result(60)
        finally:
            reactor_thread.loop.call_soon_threadsafe(until.set)
            future.result(60)
            es.stop()
    shown = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("yujing")]
    assert es.requests, "the indexer tried the cluster"
    # Nothing found, nothing said: no line per run of the empty inbox or the down forum.
    assert not [m for _, m in shown if "items," in m], shown
    down = [m for lv, m in shown if lv == "WARNING" and m.startswith("source downforum:")]
    assert len(down) == 1 and "connection refused" in down[0].lower(), shown
    indexing_failed = [m for lv, m in shown if "indexing posts into Elasticsearch failed" in m]
    assert len(indexing_failed) == 1, shown


def test_the_elasticsearch_clients_retry_warnings_are_kept_out_unless_verbose() -> None:
    from yujing.app.logs import setup_logging

    names = ("elastic_transport", "scrapy", "twisted", "apscheduler", "urllib3", "jieba")
    saved = {n: logging.getLogger(n).level for n in names}
    try:
        setup_logging(verbose=False)
        # "Retrying request after failure", "Node ... has failed": the indexer says it once.
        assert not logging.getLogger("elastic_transport.transport").isEnabledFor(logging.WARNING)
        assert logging.getLogger("elastic_transport").isEnabledFor(logging.ERROR)
        setup_logging(verbose=True)
        assert logging.getLogger("elastic_transport.transport").isEnabledFor(logging.DEBUG)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
