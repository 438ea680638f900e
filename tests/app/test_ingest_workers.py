"""``yujing ingest`` with worker processes: the store exactly as one process leaves it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from multiprocessing.connection import wait
from pathlib import Path

import pytest

from yujing.app import ingest_workers
from yujing.app.ingest_workers import ParallelIntake, Worker
from yujing.app.intake import Intake
from yujing.config import load_config
from yujing.crawlers.inbox import BATCH, ingest_files
from yujing.detector.understand import understander_for
from yujing.store import Store

ROOT = Path(__file__).resolve().parents[2]
SALT = "workers-salt"
COMPLAINTS = [
    "安心e生医疗险理赔被拒，客服一直推脱，材料交了三次",
    "退保扣了一大半保费，销售当初说随时可以全额退",
    "我们几十个人都被拒赔了，准备一起去银保监会投诉",
    "您好，想问一下续保需要什么材料",
    "理赔款三个月还没到账，打电话没人接，太气人了",
]


def write_calls(path: Path, n: int) -> None:
    """``n`` calls: complaints with a varying detail, a copy campaign, repeated call ids."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            call = i - 1 if i % 50 == 49 else i  # the export repeats a call now and then
            if call % 7 == 0:  # one text from many callers: copies of one group
                text = "联名投诉：安心e生医疗险无理拒赔，要求公开道歉！"
            else:
                text = f"{COMPLAINTS[call % len(COMPLAINTS)]}（第{call}通，保单尾号{call * 7919 % 10000}）"
            record = {
                "id": f"call-{call}",
                "text": text,
                "caller": f"139{call % 997:08d}",
                "time": f"2026-11-{1 + call % 28:02d}T{call % 24:02d}:{call % 60:02d}:00+08:00",
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Workers from the second batch on, waited for until started (they take a second or two,
    during which batches are taken in this process); the posts sent to them, per batch."""
    monkeypatch.setattr(ingest_workers, "START_AFTER", 1)
    real_idle = Worker.idle

    def idle(self: Worker) -> bool:
        if not self.ready and not self.dead:
            wait([self.conn, self.process.sentinel])  # started, or failed to
        return real_idle(self)

    monkeypatch.setattr(Worker, "idle", idle)
    counts: list[int] = []
    real_new = ParallelIntake._new

    def counting(self: ParallelIntake, batch):  # type: ignore[no-untyped-def]
        new = real_new(self, batch)
        counts.append(len(new))
        return new

    monkeypatch.setattr(ParallelIntake, "_new", counting)
    return counts


def stored(store: Store) -> list[tuple]:
    """Every stored post in commit order, as the detector reads them (the fetch time aside)."""
    rows = store.db.execute("SELECT rowid, doc FROM posts ORDER BY rowid").fetchall()
    out = []
    for rowid, doc in rows:
        d = json.loads(doc)
        d.pop("fetched_at")
        out.append((rowid, json.dumps(d, ensure_ascii=False, sort_keys=True)))
    return out


def ingest(tmp_path: Path, name: str, calls: Path, jobs: int) -> tuple[list[tuple], int, bool]:
    config = load_config(ROOT / "config" / "demo.yaml")
    store = Store(tmp_path / f"{name}.db")
    try:
        with ParallelIntake(Intake(understander_for(config), store), config, jobs) as sink:
            result = ingest_files([calls], sink, source_name="hotline", salt=SALT)
            started = bool(sink.workers)
        assert result.quarantined == []
        return stored(store), result.accepted, started
    finally:
        store.close()


def test_workers_leave_the_store_exactly_as_one_process_does(
    tmp_path: Path, sent: list[int]
) -> None:
    calls = tmp_path / "calls.jsonl"
    write_calls(calls, 6 * BATCH + 123)
    alone, accepted_alone, started_alone = ingest(tmp_path, "alone", calls, jobs=1)
    together, accepted_together, started_together = ingest(tmp_path, "workers", calls, jobs=3)
    assert (started_alone, started_together) == (False, True)
    assert len(sent) == 6 and sum(sent) > 5 * BATCH, "all batches but the first in workers"
    assert accepted_alone == accepted_together == 6 * BATCH + 123 - (6 * BATCH + 123) // 50
    assert together == alone  # same rows, same order, same copy groups, scores and tags
    groups = {json.loads(doc)["text_id"] for _, doc in together}
    assert len(groups) < len(together), "the campaign's copies share a copy group"


def test_a_second_ingest_of_the_same_file_stores_nothing(tmp_path: Path, sent: list[int]) -> None:
    calls = tmp_path / "calls.jsonl"
    write_calls(calls, 3 * BATCH)
    config = load_config(ROOT / "config" / "demo.yaml")
    store = Store(tmp_path / "y.db")
    for round_ in range(2):
        with ParallelIntake(Intake(understander_for(config), store), config, 2) as sink:
            result = ingest_files([calls], sink, source_name="hotline", salt=SALT)
        assert result.accepted == (3 * BATCH - 3 * BATCH // 50 if round_ == 0 else 0)
    assert sent[:2] == [BATCH, BATCH], "the first time, every post (the store knew none)"
    assert sent[2:] == [0, 0], "the second, nothing: known posts are not understood again"
    store.close()


def test_a_worker_killed_mid_ingest_costs_no_post(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    sent: list[int],
) -> None:
    calls = tmp_path / "calls.jsonl"
    write_calls(calls, 8 * BATCH)
    alone, _, _ = ingest(tmp_path, "alone", calls, jobs=1)

    config = load_config(ROOT / "config" / "demo.yaml")
    store = Store(tmp_path / "killed.db")
    real = ParallelIntake._receive
    killed: list[int] = []

    def kill_after_first(self, batch, worker):  # type: ignore[no-untyped-def]
        answer = real(self, batch, worker)
        if not killed:
            for each in self.workers:  # every worker, mid-stream, busy or not
                os.kill(each.process.pid, signal.SIGKILL)
                killed.append(each.process.pid)
        return answer

    monkeypatch.setattr(ParallelIntake, "_receive", kill_after_first)
    with ParallelIntake(Intake(understander_for(config), store), config, 3) as sink:
        result = ingest_files([calls], sink, source_name="hotline", salt=SALT)
    assert killed, "workers ran and were killed"
    assert result.quarantined == [] and result.posts == 8 * BATCH
    assert stored(store) == alone  # every post, once, in the order one process commits them
    assert "an ingest worker stopped; its posts are understood in this process" in caplog.text
    store.close()


def test_the_command_runs_its_workers(tmp_path: Path) -> None:
    # The real command, through `python -m yujing`: workers re-import the main module, which
    # must not run the command again.
    calls = tmp_path / "calls.jsonl"
    write_calls(calls, 12 * BATCH)  # past the first 5,000 calls taken alone
    env = {**os.environ, "YUJING_DEMO_DIR": str(tmp_path / "demo")}
    config = str(ROOT / "config" / "demo.yaml")
    run = subprocess.run(
        [sys.executable, "-m", "yujing", "ingest", "-c", config, "--jobs", "2", "-v", str(calls)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    expected = 12 * BATCH - 12 * BATCH // 50
    assert f"{12 * BATCH} transcripts, {expected} new" in run.stdout
    assert "1 worker understands posts beside this process" in run.stderr
    assert run.stderr.count("Traceback") == 0


def test_jobs_must_be_a_positive_number(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "yujing", "ingest", "--jobs", "0", "x.jsonl"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert "argument --jobs: '0' is not a whole number of 1 or more" in run.stderr
