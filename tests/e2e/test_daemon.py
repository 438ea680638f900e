"""The daemon as users run it: a real process, signals, config reload, a source that is down."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_text(tmp_path: Path, port: int, extra_product: str = "") -> str:
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


def test_daemon_collects_reloads_and_stops_cleanly(tmp_path: Path) -> None:
    port = closed_port()
    cfg = tmp_path / "yujing.yaml"
    cfg.write_text(config_text(tmp_path, port), encoding="utf-8")
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
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log_file.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "yujing.cli", "run", "-c", str(cfg)],
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

        # An invalid config is reported; the last good one keeps running.
        cfg.write_text(config_text(tmp_path, port).replace("interval: 1s", "interval: never", 1))
        proc.send_signal(signal.SIGHUP)
        wait_for(
            lambda: "keeping the last good config" in log_file.read_text(), what="reload refusal"
        )
        assert "sources[0].interval: invalid duration 'never'" in log_file.read_text()
        assert proc.poll() is None, "the daemon keeps running on the last good config"

        # A valid change is picked up on its own (file watch), no signal needed.
        cfg.write_text(
            config_text(tmp_path, port, "  - {id: fumantang, name: 福满堂年金险}"), encoding="utf-8"
        )
        wait_for(lambda: "config reloaded" in log_file.read_text(), what="reload")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    output = log_file.read_text()
    assert code == 0, output[-3000:]
    assert "yujing stopped; accepted posts are committed" in output
    assert db_rows(db, "SELECT count(*) FROM posts") == [(3,)]

    [(errors, last_error)] = db_rows(
        db,
        "SELECT errors, last_error FROM source_runs WHERE source='downforum' ORDER BY id LIMIT 1",
    )
    assert errors >= 1
    assert (
        last_error.startswith(f"GET http://127.0.0.1:{port}/")
        and "connection refused" in last_error
    )

    status = subprocess.run(
        [sys.executable, "-m", "yujing.cli", "status", "-c", str(cfg)],
        cwd=tmp_path,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert "downforum" in status.stdout and "connection refused" in status.stdout
    assert "hotline" in status.stdout
    assert "anxin-e" in status.stdout
