"""``record_run`` records a run of a source outside the daemon too (as a command would): its
error escaped and redacted once, the log line of its channel, the health it is given."""

from __future__ import annotations

import logging
from pathlib import Path

from yujing.app.runs import RunBook, RunLog, SourceReport, record_run
from yujing.config import TranscriptSource
from yujing.detector.redact import Redactor
from yujing.detector.source_health import RunOutcome
from yujing.store import Store


def test_a_run_is_recorded_from_a_store_alone(tmp_path: Path, caplog) -> None:
    store = Store(tmp_path / "y.db")
    source = TranscriptSource(name="hotline", type="transcripts", path=tmp_path / "inbox")
    counted: list[tuple[str, RunOutcome]] = []
    book = RunBook(store, Redactor(), RunLog(), health=lambda s, run: counted.append((s.name, run)))
    error = "bad_13912345678\nforged.jsonl line 1: invalid JSON"
    try:
        with caplog.at_level(logging.DEBUG, logger="yujing"):
            shown = record_run(
                book, source, SourceReport("hotline", 0, 0, 1, error, "refused"), channel="push"
            )
            record_run(book, source, SourceReport("hotline", 3, 2, 0, None), channel="push")
        rows = store.db.execute(
            "SELECT items, accepted, errors, last_error FROM source_runs ORDER BY id"
        ).fetchall()
    finally:
        store.close()
    assert shown.last_error == "bad_[手机号]\\nforged.jsonl line 1: invalid JSON"
    assert [tuple(r) for r in rows] == [(0, 0, 1, shown.last_error), (3, 2, 0, None)]
    assert [(name, run.channel, run.errors) for name, run in counted] == [
        ("hotline", "push", 1),
        ("hotline", "push", 0),
    ]
    told = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "yujing.daemon"]
    assert told == [
        ("WARNING", f"push to hotline: {shown.last_error}"),
        ("DEBUG", "push to hotline: 0 records, 0 new"),
        ("INFO", "push to hotline recovered"),
        ("INFO", "push to hotline: 3 records, 2 new"),
    ]
