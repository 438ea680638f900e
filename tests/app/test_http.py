"""The daemon's HTTP server, over real HTTP on 127.0.0.1: /metrics, /healthz, /readyz, routes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.app.components.http import HttpRequest, HttpResponse, HttpServer
from yujing.app.daemon import Daemon
from yujing.records import format_time
from yujing.store import Store

CONFIG = """
storage:
  path: {db}
alerts_file: null
http:
  listen: "{listen}"
  source_failing: 1h
products:
  - id: anxin-e
    name: 安心e生医疗险
sources:
  - name: hotline
    type: transcripts
    path: {inbox}
    interval: 1h
"""

CALLS = [
    {"id": f"c{i}", "caller": f"1380000{i:04d}", "time": "2026-11-20 10:00:00", "text": text}
    for i, text in enumerate(["安心e生理赔被拒，客服一直推脱", "安心e生医疗险退保难，扣了很多钱"])
]


def write_config(tmp_path: Path, listen: str = "127.0.0.1:0") -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    path = tmp_path / "yujing.yaml"
    path.write_text(
        CONFIG.format(db=tmp_path / "y.db", listen=listen, inbox=inbox), encoding="utf-8"
    )
    return path


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def serving(daemon: Daemon, reactor_thread: Any) -> Iterator[None]:
    """Run the daemon on the Twisted reactor's loop (as `yujing run` does) until the block ends."""
    until = asyncio.Event()
    future = asyncio.run_coroutine_threadsafe(daemon.serve(until=until), reactor_thread.loop)
    wait_for(lambda: daemon.scheduler is not None and daemon.scheduler.running, "the scheduler")
    try:
        yield
    finally:
        reactor_thread.loop.call_soon_threadsafe(until.set)
        future.result(30)


def get(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def samples(body: bytes) -> dict[tuple[str, tuple], float]:
    """Every sample of a Prometheus text exposition, by (name, sorted labels)."""
    out = {}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_health_and_readiness_over_http(tmp_path: Path, reactor_thread) -> None:
    path = write_config(tmp_path)
    calls = tmp_path / "inbox" / "calls.jsonl"
    calls.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in CALLS), "utf-8")
    settled = time.time() - 60  # the inbox takes files that have stopped changing
    os.utime(calls, (settled, settled))
    daemon = Daemon(path)
    http = daemon.get(HttpServer)
    with serving(daemon, reactor_thread):
        assert http.port and http.port != 0
        base = f"http://127.0.0.1:{http.port}"

        def scraped() -> dict:
            status, headers, body = get(base + "/metrics")
            assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")
            return samples(body)

        # The inbox run starts with the daemon; its numbers show once it has finished.
        metrics = wait_for(
            lambda: (
                (m := scraped()).get(
                    ("yujing_source_runs_total", (("outcome", "ok"), ("source", "hotline")))
                )
                and m
            ),
            "the hotline's first run in /metrics",
        )
        hotline = (("source", "hotline"),)
        assert metrics[("yujing_source_posts_total", hotline)] == 2
        assert metrics[("yujing_source_items_total", hotline)] == 2
        assert metrics[("yujing_source_errors_total", hotline)] == 0
        assert metrics[("yujing_source_run_duration_seconds_count", hotline)] == 1
        assert metrics[("yujing_posts_stored", ())] == 2
        assert metrics[("yujing_store_size_bytes", ())] > 0
        # The detector reads the new posts right after the run that brought them.
        wait_for(lambda: scraped()[("yujing_detector_lag_posts", ())] == 0, "detector lag 0")

        # Rows written by another process (a second connection): gauges are read from the store.
        other = Store(tmp_path / "y.db")
        try:
            a, b = other.outbox.enqueue("slack", {"id": "x"}), other.outbox.enqueue("slack", {})
            other.outbox.give_up(b, "unreadable")
            other.outbox.enqueue("ding", {"id": "y"})
            t0 = datetime(2026, 11, 20, 6, tzinfo=UTC)
            for n, severity in enumerate([Severity.RED, Severity.RED, Severity.YELLOW]):
                other.alerts.save(
                    Alert(f"burst:p{n}", f"burst:p{n}@1", severity, AlertState.FIRING, t0, t0)
                )
        finally:
            other.close()
        metrics = scraped()
        assert metrics[("yujing_outbox_pending", (("receiver", "slack"),))] == 1
        assert metrics[("yujing_outbox_pending", (("receiver", "ding"),))] == 1
        assert metrics[("yujing_outbox_dead_letters", (("receiver", "slack"),))] == 1
        assert metrics[("yujing_alerts_firing", (("severity", "red"),))] == 2
        assert metrics[("yujing_alerts_firing", (("severity", "yellow"),))] == 1
        assert a > 0

        # Alert events counted as the pipeline announces them (through the daemon's hook).
        alert = Alert(
            "burst:anxin-e", "burst:anxin-e@1", Severity.ORANGE, AlertState.FIRING, t0, t0
        )
        reactor_thread.loop.call_soon_threadsafe(
            daemon._alerted, AlertEvent(EventKind.FIRING, alert)
        )
        wait_for(
            lambda: (
                scraped().get(
                    ("yujing_alert_events_total", (("event", "firing"), ("severity", "orange")))
                )
                == 1
            ),
            "the alert event counted",
        )

        # OpenMetrics for scrapers that ask for it.
        request = urllib.request.Request(
            base + "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Type"].startswith("application/openmetrics-text")
            assert response.read().rstrip().endswith(b"# EOF")

        status, _, body = get(base + "/healthz")
        assert (status, body) == (200, b"ok\n")

        status, headers, body = get(base + "/readyz")
        assert status == 200, body
        assert json.loads(body) == {
            "ready": True,
            "checks": {"store": "ok", "scheduler": "ok", "sources": "ok"},
        }

        # A source that has brought nothing but errors for longer than source_failing.
        db = Store(tmp_path / "y.db")
        try:
            now = datetime.now(UTC)
            for minutes in (90, 30, 1):
                start = format_time(now - timedelta(minutes=minutes))
                db.db.execute(
                    "INSERT INTO source_runs(source, started_at, finished_at, items, errors,"
                    " last_error) VALUES ('hotline', ?, ?, 0, 1, 'disk gone')",
                    (start, start),
                )
        finally:
            db.close()
        status, _, body = get(base + "/readyz")
        verdict = json.loads(body)
        assert status == 503 and verdict["ready"] is False
        assert verdict["checks"]["store"] == "ok" and verdict["checks"]["scheduler"] == "ok"
        assert list(verdict["checks"]["sources"]) == ["hotline"]
        assert verdict["checks"]["sources"]["hotline"].startswith("failing since ")

        # Unknown paths and methods.
        assert get(base + "/nothing-here")[0] == 404
        status, headers, _ = get(base + "/metrics", method="POST", body=b"x")
        assert status == 405 and headers["Allow"] == "GET"
    # Stopped: the port is closed with the daemon.
    with pytest.raises(urllib.error.URLError):
        get(base + "/healthz")


def test_another_part_adds_its_own_routes(tmp_path: Path, reactor_thread) -> None:
    daemon = Daemon(write_config(tmp_path))
    http = daemon.get(HttpServer)
    received: list[HttpRequest] = []

    async def push(request: HttpRequest) -> HttpResponse:
        received.append(request)
        await asyncio.sleep(0)  # a handler may await (the store, a worker thread)
        text = request.body.decode("utf-8")
        return HttpResponse.json({"accepted": 1, "chars": len(text)}, 202)

    def broken(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("secret-ish internal detail")

    http.route("POST", "/push/hotline", push, max_body=64)
    http.route("GET", "/broken", broken)
    with serving(daemon, reactor_thread):
        base = f"http://127.0.0.1:{http.port}"
        body = "客户来电：安心e生理赔被拒".encode()
        status, headers, answer = get(base + "/push/hotline?batch=7", method="POST", body=body)
        assert status == 202 and headers["Content-Type"].startswith("application/json")
        assert json.loads(answer) == {"accepted": 1, "chars": 13}
        [request] = received
        assert (request.method, request.path, request.query) == (
            "POST",
            "/push/hotline",
            {"batch": ["7"]},
        )
        assert request.body == body and request.client == "127.0.0.1"
        assert get(base + "/push/hotline")[0] == 405
        status, _, answer = get(base + "/push/hotline", method="POST", body=b"x" * 65)
        assert (status, answer) == (413, b"request body too large\n") and len(received) == 1
        status, _, answer = get(base + "/broken")
        assert status == 500 and b"detail" not in answer


def test_a_port_in_use_is_reported_and_the_daemon_goes_on(
    tmp_path: Path, reactor_thread, caplog: pytest.LogCaptureFixture
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        daemon = Daemon(write_config(tmp_path, f"127.0.0.1:{port}"))
        with caplog.at_level(logging.ERROR, logger="yujing.http"), serving(daemon, reactor_thread):
            assert daemon.get(HttpServer).port is None
            assert daemon.scheduler is not None and daemon.scheduler.running
        [record] = [r for r in caplog.records if r.name == "yujing.http"]
        assert f"cannot listen on 127.0.0.1:{port}" in record.getMessage()
        assert "set http.listen to another address" in record.getMessage()
    finally:
        taken.close()


@pytest.mark.parametrize("value", ["null", "off"])
def test_the_server_can_be_turned_off(tmp_path: Path, value: str) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text("utf-8").replace('"127.0.0.1:0"', value), "utf-8")
    daemon = Daemon(path)
    try:
        with pytest.raises(LookupError):
            daemon.get(HttpServer)
    finally:
        daemon.close()


def test_the_default_is_loopback_only(tmp_path: Path) -> None:
    from yujing.config import Config

    assert Config().http.address == ("127.0.0.1", 9414)


def test_a_bad_listen_address_names_file_line_and_field(tmp_path: Path) -> None:
    from yujing.config import ConfigError, load_config

    path = write_config(tmp_path, "localhost")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    [problem] = info.value.problems
    assert problem.startswith(f"{path}:6: http.listen: expected host:port, like 127.0.0.1:9414")


def test_a_reload_moves_the_server_to_its_new_address(tmp_path: Path, reactor_thread) -> None:
    path = write_config(tmp_path)
    daemon = Daemon(path)
    http = daemon.get(HttpServer)
    with serving(daemon, reactor_thread):
        first = http.port
        assert get(f"http://127.0.0.1:{first}/healthz")[0] == 200
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            second = s.getsockname()[1]
        path.write_text(
            path.read_text("utf-8").replace('"127.0.0.1:0"', f'"127.0.0.1:{second}"'), "utf-8"
        )
        reload = asyncio.run_coroutine_threadsafe(_call(daemon.reload), reactor_thread.loop)
        assert reload.result(30) is True
        assert wait_for(lambda: http.port == second, "the new port")
        assert get(f"http://127.0.0.1:{second}/healthz")[0] == 200
        wait_for(lambda: _refused(f"http://127.0.0.1:{first}/healthz"), "the old port closed")


async def _call(func: Callable[[], Any]) -> Any:
    return func()


def _refused(url: str) -> bool:
    try:
        get(url)
    except urllib.error.URLError:
        return True
    return False
