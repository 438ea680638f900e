"""A value put into a source's URL from the environment (``?token=${FEED_TOKEN}``) never leaves the
config: not in a log line, the stored run error, ``yujing status`` or a stored post's URL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from yujing.detector.redact import Redactor

TOKEN = "feed-SECRET-token/42+x"  # with characters a query writes percent-encoded


def test_a_secret_is_written_back_as_its_reference_in_urls_and_messages() -> None:
    redactor = Redactor(secrets={"FEED_TOKEN": TOKEN, "SHORT": "on"})
    url = f"https://news.example.cn/rss?token={quote(TOKEN, safe='')}&on=1"
    assert redactor.redact_url(url)[0] == "https://news.example.cn/rss?token=${FEED_TOKEN}&on=1"
    message = f"GET https://news.example.cn/rss?token={TOKEN}: HTTP 500"
    assert redactor.redact_message(message) == (
        "GET https://news.example.cn/rss?token=${FEED_TOKEN}: HTTP 500"
    )


def test_a_base_address_from_the_environment_stays_a_usable_link() -> None:
    """``start_urls: ["${FORUM_BASE}/list"]``: the stored post links must still open; a user and
    password in the same kind of value, or a webhook's path, are still credentials."""
    redactor = Redactor(
        secrets={
            "FORUM_BASE": "http://127.0.0.1:8631",
            "MIRROR": "https://bbs.example.cn/",
            "WITH_LOGIN": "https://bot:pa55word@bbs.example.cn",
            "WEBHOOK": "https://hooks.example.cn/services/T0/B0/xyzSECRET",
        }
    )
    for url in ("http://127.0.0.1:8631/forum/thread/7", "https://bbs.example.cn/t/1"):
        assert redactor.redact_url(url)[0] == url
    assert redactor.redact_url("https://bot:pa55word@bbs.example.cn/t/1")[0] == "${WITH_LOGIN}/t/1"
    said = redactor.redact_message("POST https://hooks.example.cn/services/T0/B0/xyzSECRET: 404")
    assert said == "POST ${WEBHOOK}: 404"


@pytest.fixture
def site() -> Iterator[str]:
    """/broken answers 500; /rss is a feed whose item links carry the token back."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path.startswith("/broken"):
                body, status = b"down", 500
            else:
                link = f"{base}/t/1?id=1&amp;token={quote(TOKEN, safe='')}"
                body = (
                    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t'
                    f"</title><item><title>安心e生拒赔</title><link>{link}</link>"
                    "<description>安心e生医疗险理赔被拒，太坑了</description></item>"
                    "</channel></rss>"
                ).encode()
                status = 200
            self.send_response(status)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_daemon_keeps_a_url_token_out_of_every_output(tmp_path: Path, site: str) -> None:
    config = tmp_path / "yujing.yaml"
    config.write_text(
        f"""
storage: {{path: {tmp_path / "y.db"}}}
alerts_file: {tmp_path / "alerts.jsonl"}
http: {{listen: null}}
products: [{{id: anxin-e, name: 安心e生医疗险, aliases: [安心e生]}}]
sources:
  - {{name: broken, type: feed, url: "{site}/broken?token=${{FEED_TOKEN}}", interval: 1s, delay: 0}}
  - {{name: news, type: feed, url: "{site}/rss?token=${{FEED_TOKEN}}", interval: 1s, delay: 0}}
""",
        encoding="utf-8",
    )
    env = {**os.environ, "FEED_TOKEN": TOKEN, "YUJING_SALT": "a-long-salt-for-the-test"}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "yujing", "run", "-v", "-c", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _stored(tmp_path / "y.db", "SELECT count(*) FROM posts") and _stored(
                tmp_path / "y.db", "SELECT count(*) FROM source_runs WHERE last_error IS NOT NULL"
            ):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the daemon stored no post and no failed run in 60 s")
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=60)
    status = subprocess.run(
        [sys.executable, "-m", "yujing", "status", "-c", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    ).stdout
    with sqlite3.connect(tmp_path / "y.db") as db:
        stored = "\n".join(db.iterdump())
    assert "${FEED_TOKEN}" in stored, "the stored URL and error keep the reference"
    outputs = {"log": out + err, "status": status, "store": stored}
    for name, text in outputs.items():
        for form in (TOKEN, quote(TOKEN, safe=""), quote(TOKEN)):
            assert form not in text, f"the token is in the {name}"


def _stored(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0
