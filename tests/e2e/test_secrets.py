"""Secrets never reach a log or an error: the real daemon, with a Slack token and an
Elasticsearch password, through start, failing deliveries, failing indexing and config errors."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from testkit.fakes.elasticsearch import FakeElasticsearch
from testkit.fakes.slack import FakeSlack
from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.store import Store

TOKEN = "xoxb-4242-7373-SECRETslacktoken"
PASSWORD = "es-SECRET-passw0rd-9931"
# Different people, different words: copies of one text would count once.
COMPLAINTS = [
    "安心e生理赔被拒，说我既往症没告知，投保时根本没问过",
    "我妈住院花了三万，安心e生医疗险拖了两个月还不赔",
    "安心e生客服电话打不通，理赔材料交了三次还让补材料",
    "买安心e生的时候业务员说什么都能报，现在拒赔，这是销售误导",
    "安心e生医疗险不予理赔，理由是不属于保险责任，太坑了",
    "孩子肺炎住院，安心e生理赔被拒，我们准备去银保监会投诉",
    "安心e生的理赔员一直推脱，说在审核，已经等了四十天",
    "看到好多人说安心e生拒赔，我的情况也一样，大家一起维权吧",
]
WEBHOOK = "https://hooks.slack.com/services/T0/B0/SECRETwebhookpath"

CONFIG = """
storage:
  path: {dir}/y.db
alerts_file: {dir}/alerts.jsonl
http:
  listen: 127.0.0.1:0
logging:
  format: json
products:
  - id: anxin-e
    name: 安心e生医疗险
    aliases: [安心e生]
sources:
  - name: hotline
    type: transcripts
    path: {dir}/inbox
    interval: 1s
detection:
  evaluate_every: 1s
  burst: {{min_count: 3}}
notify:
  retry_max: 2s
  receivers:
    - name: slack
      type: slack
      token: ${{SLACK_BOT_TOKEN}}
      channel: C123
      base_url: {slack}
  route:
    receiver: slack
elasticsearch:
  hosts: ["{es}"]
  username: elastic
  password: ${{ES_PASSWORD}}
  request_timeout: 2s
"""

WEBHOOK_CONFIG = """
storage:
  path: {dir}/y.db
notify:
  receivers:
    - name: slack
      type: slack
      webhook_url: ${{SLACK_WEBHOOK_URL}}
  route:
    receiver: slack
"""


def wait_for(check, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def rows(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=10) as conn:
        return conn.execute(sql).fetchall()


def forms(secret: str) -> list[str]:
    """The secret as it may show: itself, and inside a basic-auth header."""
    return [secret, base64.b64encode(f"elastic:{secret}".encode()).decode()]


def test_no_secret_in_any_log_or_error(tmp_path: Path) -> None:
    slack = FakeSlack(token="xoxb-the-one-slack-accepts")  # ours is refused: invalid_auth
    es = FakeElasticsearch()
    slack.start()
    es.start()
    es.fail(503)  # the cluster is down the whole time
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    calls = [
        {
            "id": f"c{i}",
            "caller": f"1390000{i:04d}",
            "time": (now - timedelta(minutes=10 - i)).strftime("%Y-%m-%d %H:%M:%S"),
            "text": text,
        }
        for i, text in enumerate(COMPLAINTS)
    ]
    calls_file = inbox / "calls.jsonl"
    calls_file.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in calls), "utf-8")
    os.utime(calls_file, (time.time() - 60, time.time() - 60))
    # An alert already queued for Slack (as a detection would leave it): its delivery fails.
    store = Store(tmp_path / "y.db")
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    alert = Alert(
        "burst:anxin-e",
        "burst:anxin-e@1",
        Severity.RED,
        AlertState.FIRING,
        t0,
        t0,
        labels={"kind": "burst", "product": "anxin-e"},
        reasons=("1小时内 8 条投诉",),
    )
    store.outbox.enqueue("slack", AlertEvent(EventKind.FIRING, alert).to_dict())
    store.close()
    cfg = tmp_path / "yujing.yaml"
    text = CONFIG.format(dir=tmp_path, slack=slack.api_url, es=es.url)
    cfg.write_text(text, encoding="utf-8")
    env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "ES_PASSWORD": PASSWORD}
    log_file = tmp_path / "daemon.log"
    db = tmp_path / "y.db"
    outputs: list[str] = []
    try:
        with log_file.open("w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "yujing", "-v", "run", "-c", str(cfg)],
                cwd=tmp_path,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            # The alert fires and its delivery fails (twice: the retry too); indexing fails.
            wait_for(
                lambda: rows(
                    db, "SELECT 1 FROM outbox WHERE attempts >= 2 AND last_error IS NOT NULL"
                ),
                "two failed deliveries",
            )
            assert any(r.path.startswith("/api/chat.") for r in slack.requests)
            assert es.requests, "the indexer tried the cluster"
            # A config error on reload (SIGHUP): reported, the last good config keeps running.
            cfg.write_text(text.replace("      channel: C123\n", ""), encoding="utf-8")
            proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "keeping the last good config" in log_file.read_text(), "refusal")
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
        outputs.append(log_file.read_text())
        assert code == 0, outputs[0][-3000:]
        assert "a bot token needs a channel" in outputs[0]

        # Config errors at start, in check-config, and a secret that fails its own validation.
        for args, extra in [
            (["run", "-c", str(cfg)], {}),
            (["check-config", str(cfg)], {}),
        ]:
            done = subprocess.run(
                [sys.executable, "-m", "yujing", *args],
                cwd=tmp_path,
                env={**env, **extra},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 1, done.stderr
            outputs.append(done.stdout + done.stderr)
        bad = tmp_path / "webhook.yaml"
        bad.write_text(WEBHOOK_CONFIG.format(dir=tmp_path), encoding="utf-8")
        for hook in (WEBHOOK.replace("https", "ftp"), WEBHOOK.replace(".com/", ".com:x/")):
            done = subprocess.run(
                [sys.executable, "-m", "yujing", "check-config", str(bad)],
                cwd=tmp_path,
                env={**env, "SLACK_WEBHOOK_URL": hook},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 1 and "webhook_url" in done.stderr, done.stderr
            outputs.append(done.stdout + done.stderr)
    finally:
        slack.stop()
        es.stop()

    # The JSON log: one object per line, collection runs carry their source.
    lines = [json.loads(line) for line in outputs[0].splitlines() if line.startswith("{")]
    assert any(line.get("source") == "hotline" for line in lines)
    assert any(line.get("receiver") == "slack" for line in lines)

    everything = "\n".join(outputs)
    for secret in [*forms(TOKEN), *forms(PASSWORD), "SECRETwebhookpath"]:
        assert secret not in everything, f"{secret} leaked"
