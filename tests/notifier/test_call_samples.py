"""A call in an alert is shown as the call centre knows it: its own call id, the export's file
and row, so a PR person can find the recording; never an internal hash."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from yujing.config import TranscriptSource
from yujing.crawlers.push import parse_body
from yujing.detector.details import Details
from yujing.notifier.render import alert_text, alert_view
from yujing.records import ScoredPost

from .conftest import make_event

NAMES = {"anxin-e": "安心e生医疗险"}

SOURCE = TranscriptSource(name="hotline", type="transcripts", path=Path("inbox"))
CALLS = [
    {"id": "C20261120-0001", "time": "2026-11-20 10:00:00", "text": "安心e生理赔被拒，客服推脱"},
    {"time": "2026-11-20 10:05:00", "text": "安心e生医疗险退保难，扣了一半"},  # no id of its own
]


def samples_of_pushed_calls() -> list[dict]:
    body = "\n".join(json.dumps(c, ensure_ascii=False) for c in CALLS).encode("utf-8")
    posts = parse_body(
        body,
        "application/x-ndjson",
        SOURCE,
        salt="s",
        timezone="Asia/Shanghai",
        received=datetime(2026, 11, 20, 3, tzinfo=UTC),
    )
    details = Details()
    for post in posts:
        details.add(ScoredPost(post=post, sentiment=0.1, products=("anxin-e",), categories=()), [])
    return [s for _, s in details.samples]


def test_a_call_sample_carries_the_call_centres_id_and_where_it_was_read() -> None:
    with_id, without = sorted(samples_of_pushed_calls(), key=lambda s: s["published_at"])
    assert with_id["call_id"] == "C20261120-0001" and with_id["line"] == 1
    assert "call_id" not in without and without["line"] == 2
    assert with_id["file"] == without["file"]  # the push, named as a file is


def test_every_message_says_the_call_id_and_row_never_the_hash() -> None:
    samples = samples_of_pushed_calls()
    view = alert_view(make_event(samples=samples), names=NAMES)
    text = alert_text(view)
    for s in samples:
        assert s["id"] not in text, "the internal hash is not what a person can look up"
    assert "来电编号 C20261120-0001 · " in text and " 第 1 行）" in text
    assert " 第 2 行）" in text
    wheres = [s.where for s in view.samples]
    assert any("来电编号 C20261120-0001" in w for w in wheres), wheres
