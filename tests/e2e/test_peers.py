"""Two daemons for availability, each with its own store, one Slack channel, a real Redis.

Both are real ``yujing run`` processes fed the same calls over ``POST /ingest`` (as a call
centre mirroring its pushes would); they decide through ``notify.peers`` what reaches Slack.
The first one dies (kill -9) in the middle of sending the wave's first message; the second goes
on once its lease ends, in the same Slack conversation, and tells what the wave does next.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from testkit.fakes.slack import FakeSlack

from .test_daemon import closed_port, db_rows, wait_for

PUSH_TOKEN = "peers-push-token-0123456789"
SLACK_TOKEN = "xoxb-peers-test"
LEASE = 4  # seconds a daemon holds a group while it sends

CONFIG = """\
storage: {{path: {dir}/y.db}}
alerts_file: {dir}/alerts.jsonl
http:
  listen: "127.0.0.1:{port}"
  push: {{source: hotline, token: "${{HOTLINE_PUSH_TOKEN}}"}}
sources:
  - {{name: hotline, type: transcripts, path: {dir}/inbox, interval: 1h}}
products:
  - {{id: anxin-e, name: 安心e生医疗险, aliases: [安心e生]}}
detection: {{evaluate_every: 1s}}
redis: {{url: "{redis}"}}
notify:
  peers: {{lease: {lease}s}}
  receivers:
    - name: slack-pr
      type: slack
      token: ${{SLACK_BOT_TOKEN}}
      channel: C0PEERS01
      base_url: "{slack}"
  route: {{receiver: slack-pr, group_wait: 1s, group_interval: 2s}}
"""

TEXTS = [
    "安心e生理赔被拒，客服一直推脱，太失望了",
    "安心e生医疗险报销材料交了三次还不给赔，气死了",
    "我也是安心e生，住院费用拒赔，理由莫名其妙",
    "安心e生理赔拖了两个月，打电话没人管",
    "安心e生拒赔，说我有既往症，根本没有",
    "安心e生的理赔员态度恶劣，投诉无门",
    "安心e生医疗险骗人，买的时候说什么都赔",
    "安心e生理赔太难了，大家一起去银保监投诉吧",
]


class Daemon:
    def __init__(self, tmp_path: Path, name: str, redis_url: str, slack_url: str):
        self.dir = tmp_path / name
        (self.dir / "inbox").mkdir(parents=True)
        self.port = closed_port()
        self.config = self.dir / "yujing.yaml"
        self.config.write_text(
            CONFIG.format(
                dir=self.dir, port=self.port, redis=redis_url, slack=slack_url, lease=LEASE
            ),
            encoding="utf-8",
        )
        self.env = {**os.environ, "HOTLINE_PUSH_TOKEN": PUSH_TOKEN, "SLACK_BOT_TOKEN": SLACK_TOKEN}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log = (self.dir / "daemon.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "yujing", "run", "-c", str(self.config)],
            cwd=self.dir,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._up, 60, f"{self.dir.name}'s HTTP server")

    def _up(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
            self.log.close()

    def push(self, calls: list[dict]) -> None:
        body = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in calls).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/ingest", data=body, method="POST"
        )
        request.add_header("Content-Type", "application/x-ndjson")
        request.add_header("Authorization", f"Bearer {PUSH_TOKEN}")
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 202

    def undelivered(self) -> int:
        rows = db_rows(self.dir / "y.db", "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
        return rows[0][0] if rows else -1

    def outbox_rows(self) -> int:
        rows = db_rows(self.dir / "y.db", "SELECT count(*) FROM outbox")
        return rows[0][0] if rows else 0


def calls(first: int, n: int, start: datetime, step: timedelta) -> list[dict]:
    return [
        {
            "id": f"call-{i}",
            "caller": f"1390000{i:04d}",
            "time": (start + (i - first) * step).isoformat(),
            "text": f"{TEXTS[i % len(TEXTS)]}（第{i}位）",
        }
        for i in range(first, first + n)
    ]


def history(now: datetime) -> list[dict]:
    """Four days of the odd complaint: the product's usual level is learned from it."""
    return calls(1000, 8, now - timedelta(days=4), timedelta(hours=12))


def test_two_daemons_tell_each_wave_once_and_the_survivor_goes_on(tmp_path, redis_server):
    now = datetime.now(UTC)
    wave = calls(0, 8, now - timedelta(minutes=8), timedelta(minutes=1))
    more = calls(8, 16, now - timedelta(minutes=4), timedelta(seconds=15))
    with FakeSlack(token=SLACK_TOKEN, channel_id="C0PEERS01") as slack:
        a, b = (Daemon(tmp_path, n, redis_server.url, slack.api_url) for n in ("a", "b"))
        try:
            a.start()
            b.start()
            # a takes the wave first; Slack takes its message but a dies before the answer.
            slack.slow(times=1)
            a.push(history(now))
            a.push(wave)
            wait_for(lambda: slack.messages(), 90, "a's message to reach Slack")
            a.kill()
            slack.release()
            (opened,) = slack.channel_messages()
            alert_id = opened["metadata"]["event_payload"]["alert_id"]
            redis = redis_server.client()
            held = redis.keys("yujing:peers:default:hold:slack-pr:*")
            assert held == ["yujing:peers:default:hold:slack-pr:burst:anxin-e"], "a died holding it"

            # b saw the same calls; it goes on once a's hold on the series has run out.
            b.push(history(now))
            b.push(wave)
            while redis.exists(*held):
                assert (len(slack.posted), len(slack.updates)) == (1, 0), "b waits for the lease"
                time.sleep(0.05)
            wait_for(lambda: b.outbox_rows() >= 1 and b.undelivered() == 0, 90, "b's delivery")
            assert len(slack.channel_messages()) == 1, "b told the wave a had told"
            assert alert_id.startswith("burst:anxin-e@")

            # The wave grows: b tells it in the same conversation.
            assert {u["ts"] for u in slack.updates} == {opened["ts"]}  # brought up to date
            b.push(more)
            wait_for(lambda: b.outbox_rows() >= 2 and b.undelivered() == 0, 90, "b's delivery")
            (top,) = slack.channel_messages()
            assert top["ts"] == opened["ts"]
            assert {u["ts"] for u in slack.updates} == {opened["ts"]}
            assert top["metadata"]["event_payload"]["alert_id"] == alert_id
            replies = [r for r in slack.replies(top["ts"]) if r.get("metadata")]
            assert replies, "what changed is said in the thread"
            events = [r["metadata"]["event_payload"]["event_id"] for r in replies]
            assert len(events) == len(set(events)), "no change told twice"

            # a comes back on its own store: it catches up and sends nothing b told.
            told = (len(slack.posted), len(slack.updates))
            a.start()
            a.push(more)
            wait_for(lambda: a.outbox_rows() >= 1 and a.undelivered() == 0, 90, "a's delivery")
            assert (len(slack.posted), len(slack.updates)) == told
        finally:
            for d in (a, b):
                d.stop()
