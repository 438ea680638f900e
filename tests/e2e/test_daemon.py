"""The daemon as users run it: a real process, signals, config reload, a source that is down."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_text(tmp_path: Path, port: int, slow_port: int, extra_product: str = "") -> str:
    return f"""\
storage: {{path: {tmp_path / "y.db"}}}
alerts_file: {tmp_path / "alerts.jsonl"}
sources:
  - name: downforum
    type: forum
    url: http://127.0.0.1:{port}/list
    interval: 1s
    list: {{link: "a::attr(href)"}}
    detail: {{title: "h1::text", text: "div.body"}}
  - name: slowforum
    type: forum
    url: http://127.0.0.1:{slow_port}/list
    interval: 1s
    delay: 0
    list: {{link: "a::attr(href)"}}
    detail: {{title: "h1::text", text: "div.body"}}
  - name: hotline
    type: transcripts
    path: {tmp_path / "inbox"}
    interval: 1s
products:
  - {{id: anxin-e, name: 安心e生医疗险, aliases: [安心e生]}}
{extra_product}
detection: {{evaluate_every: 1s}}
"""


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def db_rows(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


class SlowSite:
    """An HTTP site that takes far longer to answer than the test runs: a crawl stays in flight."""

    def __init__(self) -> None:
        self.release = threading.Event()

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path == "/robots.txt":
                    self.send_response(404)
                    self.end_headers()
                    return
                outer.release.wait(60)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"<html></html>")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def run_status(cfg: Path, env: dict) -> str:
    status = subprocess.run(
        [sys.executable, "-m", "yujing", "status", "-c", str(cfg)],
        cwd=cfg.parent,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    return status.stdout


def test_daemon_collects_reloads_and_stops_cleanly(tmp_path: Path) -> None:
    port = closed_port()
    slow = SlowSite()
    cfg = tmp_path / "yujing.yaml"
    cfg.write_text(config_text(tmp_path, port, slow.port), encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    calls = [
        {
            "id": f"c{i}",
            "caller": f"1380000{i:04d}",
            "time": f"2026-11-20 10:0{i}:00",
            "text": f"安心e生理赔被拒第{i}次，客服一直推脱",
        }
        for i in range(3)
    ]
    (inbox / "calls.jsonl").write_bytes(
        "\n".join(json.dumps(c, ensure_ascii=False) for c in calls).encode("gbk")
    )
    log_file = tmp_path / "daemon.log"
    env = dict(os.environ)
    with log_file.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "yujing", "run", "-c", str(cfg)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    db = tmp_path / "y.db"
    try:
        wait_for(lambda: db_rows(db, "SELECT count(*) FROM posts") == [(3,)], what="3 posts")
        wait_for(
            lambda: db_rows(
                db,
                "SELECT errors FROM source_runs WHERE source='downforum' AND finished_at IS NOT NULL",
            ),
            what="a finished run of the down source",
        )
        assert (inbox / "done" / "calls.jsonl").exists(), "a done file is moved aside"

        # A second daemon on the same store refuses to start: it would send every alert twice.
        second = subprocess.run(
            [sys.executable, "-m", "yujing", "run", "-c", str(cfg)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert f"another yujing daemon is already running on this store (process {proc.pid})" in (
            second.stderr
        )
        assert "Traceback" not in second.stderr

        # SIGHUP alone: the file's mtime is put back, so the file watch cannot see the change.
        stamp = cfg.stat()
        bad = config_text(tmp_path, port, slow.port).replace("interval: 1s", "interval: never", 1)
        cfg.write_text(bad, encoding="utf-8")
        os.utime(cfg, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        time.sleep(2.5)  # two file-watch periods: a watch-triggered reload would show up now
        assert "keeping the last good config" not in log_file.read_text()
        proc.send_signal(signal.SIGHUP)
        wait_for(
            lambda: "keeping the last good config" in log_file.read_text(), what="reload refusal"
        )
        assert "sources[0].interval: invalid duration 'never'" in log_file.read_text()
        assert proc.poll() is None, "the daemon keeps running on the last good config"

        # A valid change is picked up on its own (file watch), no signal needed.
        cfg.write_text(
            config_text(tmp_path, port, slow.port, "  - {id: fumantang, name: 福满堂年金险}"),
            encoding="utf-8",
        )
        wait_for(lambda: "config reloaded" in log_file.read_text(), what="reload")
        assert "福满堂年金险" in run_status(cfg, env), "the reloaded products are in effect"
        # The slow site's crawl is in flight now, and stays so until the daemon stops.
        assert db_rows(
            db, "SELECT count(*) FROM source_runs WHERE source='slowforum' AND finished_at IS NULL"
        ) == [(1,)]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        finally:
            slow.close()
    output = log_file.read_text()
    assert code == 0, output[-3000:]
    assert "yujing stopped; accepted posts are committed" in output
    assert db_rows(db, "SELECT count(*) FROM posts") == [(3,)]
    # The crawl cut short by the shutdown is recorded as such, and is not taken as a verdict.
    assert db_rows(db, "SELECT complete, last_error FROM source_runs WHERE source='slowforum'") == [
        (0, "interrupted by shutdown")
    ]

    [(errors, last_error)] = db_rows(
        db,
        "SELECT errors, last_error FROM source_runs WHERE source='downforum' ORDER BY id LIMIT 1",
    )
    assert errors >= 1
    assert (
        last_error.startswith(f"GET http://127.0.0.1:{port}/")
        and "connection refused" in last_error
    )

    status = run_status(cfg, env)
    assert "downforum" in status and "connection refused" in status
    assert "hotline" in status
    assert "anxin-e" in status
