"""`yujing ingest`: transcripts once, outside the daemon; bad files are named with line and field."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from yujing.app.cli import main
from yujing.store import Store


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "yujing.yaml"
    path.write_text(
        f"storage: {{path: {tmp_path / 'y.db'}}}\n"
        f"alerts_file: {tmp_path / 'alerts.jsonl'}\n"
        "products:\n  - {id: anxin-e, name: 安心e生医疗险, aliases: [安心e生]}\n",
        encoding="utf-8",
    )
    return path


def test_ingest_good_gbk_file_then_again(tmp_path: Path, config: Path, capsys) -> None:
    calls = tmp_path / "calls.jsonl"
    rows = [
        {"id": "c1", "caller": "13800001111", "text": "安心e生医疗险理赔被拒，材料都交齐了"},
        {"id": "c2", "caller": "13800002222", "text": "想退保安心e生，扣费太多"},
    ]
    calls.write_bytes("\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode("gbk"))
    assert main(["ingest", "-c", str(config), str(calls)]) == 0
    out = capsys.readouterr().out
    assert "ingested 1 file(s): 2 transcripts, 2 new, 0 already known" in out
    assert calls.exists(), "ingest leaves the user's file where it is"
    store = Store(tmp_path / "y.db")
    assert store.posts.product_counts() == {"anxin-e": 2}
    store.close()
    assert main(["ingest", "-c", str(config), str(calls)]) == 0
    assert "2 transcripts, 0 new, 2 already known" in capsys.readouterr().out


def test_ingest_bad_file_names_file_line_and_field(tmp_path: Path, config: Path, capsys) -> None:
    bad = tmp_path / "calls-1120.jsonl"
    bad.write_text('{"text": "安心e生理赔难"}\n{"caller": "138"}\n', encoding="utf-8")
    assert main(["ingest", "-c", str(config), str(bad)]) == 1
    err = capsys.readouterr().err
    assert 'calls-1120.jsonl line 2: field "text": missing' in err
    store = Store(tmp_path / "y.db")
    assert store.posts.count() == 0, "nothing from a bad file is half-ingested"
    store.close()


def test_ingested_calls_belong_to_the_configs_hotline_source(tmp_path: Path, capsys) -> None:
    path = tmp_path / "hotline.yaml"
    path.write_text(
        f"storage: {{path: {tmp_path / 'h.db'}}}\n"
        f"sources:\n  - {{name: hotline-sh, type: transcripts, path: {tmp_path / 'inbox'}}}\n",
        encoding="utf-8",
    )
    calls = tmp_path / "calls.jsonl"
    calls.write_text('{"text": "安心e生理赔被拒"}\n', encoding="utf-8")
    assert main(["ingest", "-c", str(path), str(calls)]) == 0
    store = Store(tmp_path / "h.db")
    [(source,)] = store.db.execute("SELECT source FROM posts").fetchall()
    store.close()
    assert source == "hotline-sh", "status then shows them under the configured source"


def test_ingest_applies_the_hotline_sources_limits(tmp_path: Path, capsys) -> None:
    path = tmp_path / "hotline.yaml"
    path.write_text(
        f"storage: {{path: {tmp_path / 'h.db'}}}\n"
        "sources:\n"
        f"  - name: hotline-sh\n    type: transcripts\n    path: {tmp_path / 'inbox'}\n"
        "    limits: {max_line_chars: 200, max_text_chars: 20}\n",
        encoding="utf-8",
    )
    calls = tmp_path / "calls.jsonl"
    long_call = "安心e生医疗险理赔被拒，客服一直推脱，材料交了三次"
    calls.write_text(
        json.dumps({"id": "c1", "text": long_call}, ensure_ascii=False) + "\n", "utf-8"
    )
    huge = tmp_path / "huge.jsonl"
    huge.write_text(json.dumps({"text": "理赔" * 200}, ensure_ascii=False) + "\n", "utf-8")
    assert main(["ingest", "-c", str(path), str(calls), str(huge)]) == 1
    err = capsys.readouterr().err
    assert f"{huge} line 1: line longer than 200 characters (the limit max_line_chars)" in err
    store = Store(tmp_path / "h.db")
    [(_, doc)] = store.posts.recent(10)
    store.close()
    # Stored as understood (full-width punctuation normalised), cut at 20 characters.
    assert len(doc["text"]) == 20 and doc["text"].startswith("安心e生医疗险理赔被拒")
    assert doc["extras"]["truncated_from"] == len(long_call)


def test_an_ingest_is_a_run_of_its_source_in_status(tmp_path: Path, capsys) -> None:
    path = tmp_path / "hotline.yaml"
    path.write_text(
        f"storage: {{path: {tmp_path / 'h.db'}}}\n"
        f"sources:\n  - {{name: hotline-sh, type: transcripts, path: {tmp_path / 'inbox'}}}\n",
        encoding="utf-8",
    )
    good = tmp_path / "calls.jsonl"
    good.write_text('{"text": "安心e生理赔被拒"}\n{"text": "续保涨价太多"}\n', encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"caller": "138"}\n', encoding="utf-8")
    assert main(["ingest", "-c", str(path), str(good), str(bad)]) == 1
    store = Store(tmp_path / "h.db")
    run = store.runs.latest()["hotline-sh"]
    store.close()
    assert (run.items, run.accepted, run.errors) == (2, 2, 1)
    assert 'bad.jsonl line 1: field "text": missing' in (run.last_error or "")
    capsys.readouterr()
    assert main(["status", "-c", str(path)]) == 0
    shown = capsys.readouterr().out
    assert "hotline-sh" in shown and "bad.jsonl line 1" in shown


def test_an_export_writing_utc_without_a_zone_is_said_once_and_shown(
    tmp_path: Path, config: Path, capsys, caplog
) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC).replace(microsecond=0)
    calls = tmp_path / "calls.jsonl"
    rows = [
        {
            "id": f"c{i}",
            "caller": f"1380000{i:04d}",
            "text": "安心e生医疗险理赔被拒",
            # The export's clock is UTC, written without a zone: read in Asia/Shanghai.
            "time": (now - timedelta(minutes=2 * i + 3)).strftime("%Y-%m-%d %H:%M:%S"),
        }
        for i in range(30)
    ]
    calls.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="yujing.sources"):
        assert main(["ingest", "-c", str(config), str(calls)]) == 0
    said = [r.getMessage() for r in caplog.records if "dated about" in r.getMessage()]
    assert len(said) == 1, said
    assert "ingest: 30 posts dated about 8 h before they were fetched" in said[0]
    assert main(["status", "-c", str(config)]) == 0
    shown = " ".join(capsys.readouterr().out.split())  # wrapped at 80 columns
    assert said[0] in shown
