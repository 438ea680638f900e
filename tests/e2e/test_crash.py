"""kill -9 at random moments: the real daemon, in its own process, loses nothing and repeats
nothing. Calls in an inbox are stored once each however often the ingest is cut short; a crawl
cut short keeps every post it stored, and the next crawl fetches again at most the batch that
was not committed; alerts queued for a Slack that is down are delivered once each when it is
back, after the daemon was killed meanwhile."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from testkit.fakes._http import Recorded, Response
from testkit.fakes.board import Board, board_config
from testkit.fakes.slack import FakeSlack
from yujing.alerts import AlertEvent, EventKind
from yujing.app.ingest_workers import usable_cpus
from yujing.config import load_config
from yujing.crawlers import settings as crawl_settings
from yujing.notifier.dispatch import Notifier
from yujing.store import Store

from ..notifier.conftest import T0, make_alert
from .test_daemon import db_rows, wait_for

TOKEN = "xoxb-1111-2222-fake"
WHO = ["我", "我妈", "我爸", "孩子", "老公", "朋友", "同事", "邻居"]
WHAT = [
    "理赔被拒",
    "拖着不赔",
    "客服电话打不通",
    "材料交了三次还让补",
    "说既往症没告知",
    "等了四十天",
]
WHERE = ["住院", "门诊", "手术", "急诊", "复查"]

CONFIG = """\
storage: {{path: {dir}/y.db}}
alerts_file: null
http: {{listen: "127.0.0.1:0"}}
products:
  - {{id: anxin-e, name: 安心e生医疗险, aliases: [安心e生]}}
"""


class Daemon:
    """``yujing run`` in its own process, its output in a file the test can show."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None):
        self.folder = folder
        self.env = {**os.environ, **(env or {})}
        self.log = folder / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0  # where this run's lines begin in the log

    def start(self) -> None:
        self.started_at = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "yujing", "run", "-c", str(self.folder / "yujing.yaml")],
                cwd=self.folder,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM once the daemon is up (a signal during its start-up ends it unhandled, as
        any process before it sets its handlers), and its exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            wait_for(lambda: self.running() or self.proc.poll() is not None, what="the daemon")
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def running(self) -> bool:
        """Whether this run has said it is running (the log holds every run's lines)."""
        with self.log.open("rb") as f:
            f.seek(self.started_at)
            return b"yujing running" in f.read()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def count(db: Path, sql: str) -> int:
    rows = db_rows(db, sql)
    return int(rows[0][0]) if rows else 0


def write_calls(inbox: Path, files: int, per_file: int, rng: random.Random) -> int:
    """Files of calls, each call's text carrying its number (单号); returns how many."""
    n = 0
    for f in range(files):
        lines = []
        for i in range(per_file):
            text = (
                f"{rng.choice(WHO)}{rng.choice(WHERE)}花了{rng.randint(1000, 99999)}元，"
                f"安心e生医疗险{rng.choice(WHAT)}，单号{n:05d}，{rng.choice(WHAT)}"
            )
            call = {
                "id": f"call-{n:05d}",
                "caller": f"139{n:08d}",
                "time": f"2026-11-20 {8 + i % 10:02d}:{i % 60:02d}:00",
                "text": text,
            }
            lines.append(json.dumps(call, ensure_ascii=False))
            n += 1
        path = inbox / f"calls-{f:02d}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.utime(path, (time.time() - 60, time.time() - 60))  # a finished file, not one growing
    return n


def test_kill_9_during_ingest_stores_every_call_once(tmp_path: Path) -> None:
    rng = random.Random()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    calls = write_calls(inbox, files=20, per_file=150, rng=rng)
    (tmp_path / "yujing.yaml").write_text(
        CONFIG.format(dir=tmp_path)
        + f"sources:\n  - {{name: hotline, type: transcripts, path: {inbox}, interval: 1s}}\n",
        encoding="utf-8",
    )
    db = tmp_path / "y.db"
    daemon = Daemon(tmp_path)
    stored = "SELECT count(*) FROM posts"
    at_kills: list[int] = []
    try:
        for _ in range(3):
            before = count(db, stored)
            if before == calls:
                break
            daemon.start()
            # Killed while it stores: some time after its first commit of this run, at random.
            wait_for(lambda b=before: count(db, stored) > b, what="ingest to be under way")
            time.sleep(rng.uniform(0, 0.4))
            daemon.kill()
            at_kills.append(count(db, stored))
        daemon.start()
        wait_for(lambda: not list(inbox.glob("*.jsonl")), what="every file to be taken")
        wait_for(lambda: count(db, stored) == calls, what="every call to be stored")
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output()
    assert at_kills and at_kills[0] < calls, f"the ingest was cut short: {at_kills} of {calls}"
    texts = db_rows(db, "SELECT json_extract(doc, '$.text') FROM posts")
    numbers = sorted(int(re.search(r"单号(\d+)", t).group(1)) for (t,) in texts)  # type: ignore[union-attr]
    assert numbers == list(range(calls)), "each call stored exactly once"
    assert count(db, "SELECT count(DISTINCT id) FROM posts") == calls
    assert sorted(p.name for p in (inbox / "done").iterdir()) == [
        f"calls-{f:02d}.jsonl" for f in range(20)
    ]
    assert not (inbox / "quarantine").exists() or not any((inbox / "quarantine").iterdir())


class SlowBoard(Board):
    """A board whose thread pages take a moment, as a real site's do: the crawl lasts long
    enough to be cut short half-way."""

    def handle(self, request: Recorded) -> Response:
        if "/t-" in request.path:
            time.sleep(0.01)
        return super().handle(request)


# Killed after the first batch, while the daemon understands posts itself; or after five, when
# (on a machine with two CPUs) a worker understands them while the crawl goes on.
@pytest.mark.parametrize("batches_before_kill", [1, 5])
def test_kill_9_during_a_crawl_keeps_every_stored_post_and_refetches_at_most_a_batch(
    tmp_path: Path, batches_before_kill: int
) -> None:
    rng = random.Random()
    batch = crawl_settings.YUJING_BATCH_SIZE
    threads = 8 * batch
    db = tmp_path / "y.db"
    stored = "SELECT id FROM posts"
    with SlowBoard(per_page=50) as board:
        for i in range(threads):
            board.add(f"帖子{i}", f"第{i}位投诉人：安心e生医疗险理赔被拒，单号{i:05d}。")
        source = board_config(board, max_pages=100, concurrency=4, interval="1h")
        (tmp_path / "yujing.yaml").write_text(
            CONFIG.format(dir=tmp_path) + f"sources:\n  - {json.dumps(source)}\n",
            encoding="utf-8",
        )
        daemon = Daemon(tmp_path)
        try:
            daemon.start()
            # Killed some time after that many posts are committed, at random.
            wait_for(
                lambda: count(db, "SELECT count(*) FROM posts") >= batches_before_kill * batch - 10,
                what="batches stored",
            )
            time.sleep(rng.uniform(0, 0.5))
            daemon.kill()
            at_kill = {r[0] for r in db_rows(db, stored)}
            first_crawl = board.paths("/board/t-")
            daemon.start()
            wait_for(
                lambda: (
                    count(db, "SELECT count(*) FROM source_runs WHERE finished_at IS NOT NULL") > 0
                ),
                what="the next crawl to finish",
            )
        finally:
            code = daemon.stop()
        assert code == 0, daemon.output()
    again = board.paths("/board/t-")[len(first_crawl) :]  # requests of the second crawl
    after = [r[0] for r in db_rows(db, stored)]
    assert 0 < len(at_kill) < threads, "the crawl was cut short"
    assert at_kill <= set(after), "every post stored before the kill is still stored"
    assert len(after) == len(set(after)) == threads, "each thread stored once, all of them"
    refetched = set(first_crawl) & set(again)
    if batches_before_kill > 1 and usable_cpus() > 1:
        assert "understood in 1 worker" in daemon.log.read_text(), "a worker took part"
    # Pages whose posts were not committed: the batch held, and what Scrapy was still
    # downloading or parsing (at most a few per request slot).
    assert len(refetched) <= batch + 4 * 4, f"{len(refetched)} pages fetched again"


def test_kill_9_during_a_slack_outage_delivers_every_alert_once(
    tmp_path: Path, monkeypatch
) -> None:
    rng = random.Random()
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    with FakeSlack(token=TOKEN) as slack:
        (tmp_path / "yujing.yaml").write_text(
            CONFIG.format(dir=tmp_path)
            + "notify:\n"
            + "  retry_max: 1s\n"
            + "  receivers:\n"
            + "    - {name: slack, type: slack, token: '${SLACK_BOT_TOKEN}', channel: '#预警',"
            + f" base_url: '{slack.api_url}'}}\n"
            + "  route: {receiver: slack, group_by: ['...'], group_wait: 0s,"
            + " group_interval: 1s, repeat_interval: 1000d}\n",
            encoding="utf-8",
        )
        # Alerts fired while the daemon was away (as a detection leaves them): each in its group,
        # for the daemon to flush into the outbox and deliver.
        config = load_config(tmp_path / "yujing.yaml")
        store = Store(config.storage.path)
        alerts = [make_alert(f"p{k:02d}", started_at=T0 + timedelta(minutes=k)) for k in range(12)]
        notifier = Notifier(config, store, receivers={})
        with store.transaction():
            for alert in alerts:
                notifier.submit(AlertEvent(EventKind.FIRING, alert))
        store.close()

        db = tmp_path / "y.db"
        daemon = Daemon(tmp_path)
        slack.go_down("error")
        tried = "SELECT coalesce(sum(attempts), 0) FROM outbox"
        try:
            # Killed at a random moment after it tried Slack, then at any moment of a run.
            daemon.start()
            wait_for(lambda: count(db, tried) > 0, what="a failed delivery")
            time.sleep(rng.uniform(0, 1.0))
            daemon.kill()
            daemon.start()
            time.sleep(rng.uniform(0.5, 6.0))
            daemon.kill()
            assert slack.messages() == [], "nothing reached Slack while it was down"
            assert count(db, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL") == 12
            daemon.start()
            time.sleep(rng.uniform(0, 1.0))
            slack.recover()
            wait_for(
                lambda: count(db, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL") == 0,
                what="every alert to be delivered",
            )
        finally:
            code = daemon.stop()
        assert code == 0, daemon.output()
    told = [m["metadata"]["event_payload"]["alert_id"] for m in slack.messages()]
    assert sorted(told) == sorted(a.id for a in alerts), "each alert told exactly once"
    assert len(slack.channel_messages()) == 12
