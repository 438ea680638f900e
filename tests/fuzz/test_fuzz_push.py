"""Hostile bodies for POST /ingest, generated: read into posts or refused with a status and a
sentence naming the request (400 or 415), never anything else; over real HTTP, never a 500."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yujing.app.components.http import HttpServer
from yujing.app.daemon import Daemon
from yujing.config import TranscriptSource
from yujing.crawlers.push import PushRefused, parse_body

from ..app.test_http import serving, wait_for
from ..app.test_push import TOKEN, Stored, write_config
from .test_fuzz_inputs import lines

SOURCE = TranscriptSource(name="hotline", type="transcripts", path=Path("inbox"))
RECEIVED = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)

content_types = st.sampled_from(
    [
        "application/json",
        "application/x-ndjson",
        "application/json; charset=utf-8",
        "application/x-ndjson; charset=gbk",
        'application/jsonl; charset="UTF-8"',
        "text/plain",
        "",
        "application/json;;charset",
    ]
)
values = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    lines,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
records = st.dictionaries(
    st.sampled_from(
        ["id", "text", "speaker", "role", "caller", "time", "agent", "product", "duration"]
    ),
    values,
    max_size=7,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """A JSON list or object, NDJSON, or text that is neither, in UTF-8 or not."""
    shape = draw(st.sampled_from(["list", "object", "ndjson", "text"]))
    if shape == "list":
        text = json.dumps(draw(st.lists(records, max_size=5)), ensure_ascii=False)
    elif shape == "object":
        text = json.dumps(draw(records), ensure_ascii=False)
    elif shape == "ndjson":
        rows = draw(st.lists(st.one_of(records.map(json.dumps), lines), max_size=5))
        text = "\n".join(rows)
    else:
        text = draw(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
    return text.encode(encoding, errors="replace")


def check(body: bytes, content_type: str) -> None:
    try:
        posts = parse_body(
            body,
            content_type,
            SOURCE,
            salt="fuzz-salt",
            timezone="Asia/Shanghai",
            received=RECEIVED,
        )
    except PushRefused as exc:
        assert exc.status in (400, 415), exc
        assert exc.message.startswith("POST /ingest"), exc.message
        assert json.dumps(exc.answer(), ensure_ascii=False)
    else:
        assert posts
        for post in posts:
            assert post.source == "hotline" and post.text.strip() and post.id
            assert post.published_at.tzinfo is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies(), content_types)
def test_bodies_are_read_or_refused_with_a_reason(body: bytes, content_type: str) -> None:
    check(body, content_type)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), content_types)
def test_any_bytes_are_read_or_refused(body: bytes, content_type: str) -> None:
    check(body, content_type)


def test_the_endpoint_never_answers_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reactor_thread
) -> None:
    monkeypatch.setenv("HOTLINE_PUSH_TOKEN", TOKEN)
    daemon, stored = Daemon(write_config(tmp_path)), Stored(tmp_path)
    answered: list[int] = []

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(bodies(), content_types)
    def post(body: bytes, content_type: str) -> None:
        request = urllib.request.Request(base + "/ingest", data=body, method="POST")
        request.add_header("Content-Type", content_type)
        request.add_header("Authorization", f"Bearer {TOKEN}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
                assert set(json.loads(response.read())) == {"accepted", "duplicates"}
        except urllib.error.HTTPError as exc:
            status = exc.code
            assert json.loads(exc.read())["error"].startswith("POST /ingest")
        assert status in (202, 400, 415), status
        answered.append(status)

    with serving(daemon, reactor_thread):
        wait_for(lambda: stored.runs() >= 1, "the inbox's first run")
        base = f"http://127.0.0.1:{daemon.get(HttpServer).port}"
        post()
    assert len(answered) >= 60 and 400 in answered
