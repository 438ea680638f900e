"""POST /ingest over real HTTP on 127.0.0.1: transcripts pushed, stored, counted and refused."""

from __future__ import annotations

import asyncio
import io
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from yujing.app.components.http import HttpServer
from yujing.app.daemon import Daemon
from yujing.app.status import print_status
from yujing.config import ConfigError, load_config
from yujing.records import post_id
from yujing.store import Store

from .test_http import get, samples, serving, wait_for

TOKEN = "push-token-0123456789abcdef"

CONFIG = """
storage:
  path: {db}
alerts_file: null
http:
  listen: "127.0.0.1:0"
  push:
    source: hotline
    token: ${{HOTLINE_PUSH_TOKEN}}
    max_body_mb: {max_body_mb}
products:
  - id: anxin-e
    name: 安心e生医疗险
    aliases: [安心e生]
sources:
  - name: hotline
    type: transcripts
    path: {inbox}
    interval: 1h
"""

CALLS = [
    {
        "id": "C20261120-0001",
        "caller": "13800138000",
        "time": "2026-11-20 10:00:00",
        "agent": "1032",
        "text": "安心e生理赔被拒，客服一直推脱，我的电话13912345678",
    },
    {"caller": "13800138001", "time": "2026-11-20 10:05:00", "text": "安心e生医疗险退保难"},
]


def ndjson(records: list[Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOTLINE_PUSH_TOKEN", TOKEN)
    return write_config(tmp_path)


def write_config(tmp_path: Path, max_body_mb: float = 1, text: str = CONFIG) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    path = tmp_path / "yujing.yaml"
    filled = text.format(db=tmp_path / "y.db", inbox=inbox, max_body_mb=max_body_mb)
    path.write_text(filled, encoding="utf-8")
    return path


def push(
    base: str,
    body: bytes,
    content_type: str | None = "application/x-ndjson",
    token: str | None = TOKEN,
) -> tuple[int, dict, Any]:
    request = urllib.request.Request(base + "/ingest", data=body, method="POST")
    if content_type is not None:
        request.add_header("Content-Type", content_type)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, headers, answer = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, headers, answer = exc.code, dict(exc.headers), exc.read()
    return status, headers, json.loads(answer) if answer.startswith(b"{") else answer


class Stored:
    """The store as another process sees it, while the daemon runs."""

    def __init__(self, tmp_path: Path):
        self.path = tmp_path / "y.db"

    def posts(self) -> list[dict]:
        store = Store(self.path)
        try:
            rows = store.db.execute("SELECT doc FROM posts ORDER BY rowid").fetchall()
            return [json.loads(r[0]) for r in rows]
        finally:
            store.close()

    def runs(self) -> int:
        store = Store(self.path)
        try:
            return store.db.execute(
                "SELECT count(*) FROM source_runs WHERE finished_at IS NOT NULL"
            ).fetchone()[0]
        finally:
            store.close()


def started(daemon: Daemon, stored: Stored) -> str:
    """The base URL, once the inbox's first (empty) run is over: pushes are the runs after."""
    wait_for(lambda: stored.runs() >= 1, "the inbox's first run")
    return f"http://127.0.0.1:{daemon.get(HttpServer).port}"


def test_pushed_calls_are_stored_counted_and_evaluated(
    config_path: Path, tmp_path: Path, reactor_thread
) -> None:
    daemon, stored = Daemon(config_path), Stored(tmp_path)
    with serving(daemon, reactor_thread):
        base = started(daemon, stored)
        status, headers, answer = push(base, ndjson(CALLS))
        assert status == 202 and headers["Content-Type"].startswith("application/json")
        assert answer == {"accepted": 2, "duplicates": 0}
        # Answered after the commit: another process sees the posts at once.
        posts = stored.posts()
        assert [p["source"] for p in posts] == ["hotline", "hotline"]
        first = posts[0]
        assert first["text"].startswith("安心e生理赔被拒")
        assert "13912345678" not in first["text"] and "[手机号]" in first["text"]  # redacted
        assert "13800138000" not in json.dumps(posts)  # the caller is hashed
        assert first["extras"]["agent"] == "1032" and first["extras"]["channel"] == "hotline"
        assert posts[0]["products"] == ["anxin-e"]

        # The same calls again (a retry after a lost answer), in another order: duplicates.
        status, _, answer = push(base, ndjson(CALLS[::-1]))
        assert (status, answer) == (202, {"accepted": 0, "duplicates": 2})
        assert len(stored.posts()) == 2

        # A JSON list and a single JSON object.
        more = [
            {"id": "C3", "text": "安心e生医疗险理赔慢", "time": "2026-11-20 11:00:00"},
            {"id": "C4", "text": "安心e生续保被拒", "duration": "1:35"},
        ]
        status, _, answer = push(base, json.dumps(more).encode(), "application/json")
        assert (status, answer) == (202, {"accepted": 2, "duplicates": 0})
        one = {"id": "C5", "text": "安心e生医疗险客服不接电话"}
        status, _, answer = push(base, json.dumps(one).encode(), "application/json; charset=UTF-8")
        assert (status, answer) == (202, {"accepted": 1, "duplicates": 0})
        posts = stored.posts()
        ids = [p["id"] for p in posts]
        assert ids[0] == post_id("hotline", "C20261120-0001")
        assert ids[2:] == [post_id("hotline", n) for n in ("C3", "C4", "C5")]
        assert posts[3]["extras"]["duration"] == 95

        # Counted as the source's runs, and read by the detector right after.
        def scraped() -> dict:
            return samples(get(base + "/metrics")[2])

        hotline = (("source", "hotline"),)
        metrics = scraped()
        assert metrics[("yujing_source_posts_total", hotline)] == 5
        assert metrics[("yujing_source_items_total", hotline)] == 7
        wait_for(lambda: scraped()[("yujing_detector_lag_posts", ())] == 0, "detector lag 0")
    out = io.StringIO()
    print_status(load_config(config_path), Console(file=out, width=120, color_system=None))
    [row] = [line for line in out.getvalue().splitlines() if line.strip().startswith("hotline")]
    assert row.split()[-4:] == ["1", "1", "0", "ok"]  # the last push: 1 item, 1 new


def test_utterance_rows_are_joined_into_calls(config_path: Path, tmp_path: Path, reactor_thread):
    rows = [
        {"id": "T1", "role": "坐席", "text": "您好，这里是客服中心", "time": "2026-11-20 09:00:00"},
        {"id": "T1", "role": "客户", "text": "安心e生理赔被拒"},
        {"id": "T1", "role": "客户", "text": "我要投诉"},
    ]
    daemon, stored = Daemon(config_path), Stored(tmp_path)
    with serving(daemon, reactor_thread):
        status, _, answer = push(started(daemon, stored), ndjson(rows))
        assert (status, answer) == (202, {"accepted": 1, "duplicates": 0})
        [post] = stored.posts()
        # What the customer said, turn by turn; the agent's greeting is left out.
        assert post["id"] == post_id("hotline", "T1")
        assert post["text"].split() == ["安心e生理赔被拒", "我要投诉"]


def test_a_bad_record_is_named_and_nothing_of_the_request_is_stored(
    config_path: Path, tmp_path: Path, reactor_thread
) -> None:
    bad_time = [CALLS[0], {"text": "安心e生退保难", "time": "昨天下午"}]
    daemon, stored = Daemon(config_path), Stored(tmp_path)
    with serving(daemon, reactor_thread):
        base = started(daemon, stored)
        status, _, answer = push(base, ndjson(bad_time))
        assert status == 400
        assert answer["line"] == 2 and answer["field"] == "time"
        assert answer["error"].startswith("POST /ingest line 2: field \"time\": '昨天下午' is not")
        # In a JSON list, the record is named by its item.
        bad_text = [CALLS[0], CALLS[1], {"id": "C9", "text": 42}]
        status, _, answer = push(base, json.dumps(bad_text).encode(), "application/json")
        assert status == 400 and (answer["item"], answer["field"]) == (3, "text")
        assert answer["error"] == 'POST /ingest item 3: field "text": expected a string, got number'
        # Every bad record is named (up to 20), so the sender fixes them in one go.
        two_bad = [{"text": "安心e生退保难", "duration": "long"}, CALLS[0], {"text": ""}]
        status, _, answer = push(base, ndjson(two_bad))
        assert status == 400 and (answer["line"], answer["field"]) == (1, "duration")
        assert answer["error"].startswith('POST /ingest line 1: field "duration": expected seconds')
        assert answer["error"].endswith(
            '; line 3: field "text": empty; a transcript needs its text'
        )
        status, _, answer = push(base, b'{"text": "x"', "application/json")
        assert status == 400 and answer["line"] == 1 and "invalid JSON" in answer["error"]
        status, _, answer = push(base, b"\n \n", "application/x-ndjson")
        assert status == 400 and "no records" in answer["error"]
        # Deeply nested JSON is refused, not a crash.
        status, _, answer = push(base, b"[" * 100_000 + b"]" * 100_000, "application/json")
        assert status == 400 and "nesting too deep" in answer["error"]
        status, _, answer = push(base, b'{"text": "x", "id": ' + b"1" * 5000 + b"}")
        assert status == 400 and answer["line"] == 1 and "a number too long" in answer["error"]
        assert stored.posts() == []
    # The refusal shows in status as the source's last error.
    out = io.StringIO()
    print_status(load_config(config_path), Console(file=out, width=200, color_system=None))
    assert "hotline: POST /ingest line 1: invalid JSON (a number too long" in out.getvalue()


def test_only_utf8_json_is_taken(config_path: Path, tmp_path: Path, reactor_thread) -> None:
    daemon, stored = Daemon(config_path), Stored(tmp_path)
    with serving(daemon, reactor_thread):
        base = started(daemon, stored)
        gbk = ndjson([CALLS[1]]).decode("utf-8").encode("gbk")
        status, _, answer = push(base, b'{"text": "ok"}\n' + gbk)
        assert status == 400 and answer["line"] == 2
        assert "not UTF-8" in answer["error"] and "RFC 8259" in answer["error"]
        status, _, answer = push(base, gbk, "application/x-ndjson; charset=gbk")
        assert status == 415 and "charset=gbk" in answer["error"]
        status, _, answer = push(base, b"text,caller\n", "text/csv")
        assert status == 415 and "application/x-ndjson" in answer["error"]
        # Sent as a form, which curl -d and urllib do unless told otherwise.
        status, _, answer = push(base, ndjson(CALLS), None)
        assert status == 415
        assert "'application/x-www-form-urlencoded'; send Content-Type" in answer["error"]
        # A byte-order mark is ignored (RFC 8259 allows a parser to).
        status, _, answer = push(base, b"\xef\xbb\xbf" + ndjson([CALLS[1]]))
        assert (status, answer) == (202, {"accepted": 1, "duplicates": 0})
        assert len(stored.posts()) == 1


def test_a_request_without_the_token_is_refused(
    config_path: Path, tmp_path: Path, reactor_thread
) -> None:
    daemon, stored = Daemon(config_path), Stored(tmp_path)
    with serving(daemon, reactor_thread):
        base = started(daemon, stored)
        status, headers, answer = push(base, ndjson(CALLS), token=None)
        assert status == 401 and headers["WWW-Authenticate"] == 'Bearer realm="yujing"'
        assert answer == {"error": "a bearer token is required"}
        status, headers, _ = push(base, ndjson(CALLS), token=TOKEN[:-1] + "X")
        assert status == 401
        assert headers["WWW-Authenticate"] == 'Bearer realm="yujing", error="invalid_token"'
        status, _, _ = push(base, ndjson(CALLS), token=TOKEN + "0")
        assert status == 401
        request = urllib.request.Request(base + "/ingest", data=ndjson(CALLS), method="POST")
        request.add_header("Authorization", f"Basic {TOKEN}")
        status, _, _ = get_request(request)
        assert status == 401
        assert stored.posts() == [] and stored.runs() == 1  # no run counted either


def get_request(request: urllib.request.Request) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_a_body_over_the_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reactor_thread
) -> None:
    monkeypatch.setenv("HOTLINE_PUSH_TOKEN", TOKEN)
    daemon, stored = Daemon(write_config(tmp_path, max_body_mb=0.001)), Stored(tmp_path)
    limit = int(0.001 * 1024 * 1024)
    with serving(daemon, reactor_thread):
        base = started(daemon, stored)
        record = ndjson([{"id": "big", "text": "安心e生" * 100}])
        assert len(record) <= limit
        status, _, answer = push(base, record)
        assert (status, answer) == (202, {"accepted": 1, "duplicates": 0})
        status, _, answer = push(base, record * 4)
        assert (status, answer) == (413, b"request body too large\n")
        assert len(stored.posts()) == 1


def test_the_endpoint_is_off_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reactor_thread
) -> None:
    text = CONFIG.replace(
        "  push:\n    source: hotline\n    token: ${{HOTLINE_PUSH_TOKEN}}\n"
        "    max_body_mb: {max_body_mb}\n",
        "",
    )
    assert "push" not in text
    daemon, stored = Daemon(write_config(tmp_path, text=text)), Stored(tmp_path)
    with serving(daemon, reactor_thread):
        status, _, _ = push(started(daemon, stored), ndjson(CALLS))
        assert status == 404 and stored.posts() == []


def test_the_token_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, text=CONFIG.replace("${{HOTLINE_PUSH_TOKEN}}", TOKEN))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    [problem] = info.value.problems
    assert "http.push.token: a secret written in the file" in problem
    assert TOKEN not in problem
    monkeypatch.setenv("HOTLINE_PUSH_TOKEN", "short")
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path))
    assert "http.push.token" in str(info.value) and "short" not in str(info.value)


def test_a_source_fed_by_pushes_alone_needs_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reactor_thread
) -> None:
    monkeypatch.setenv("HOTLINE_PUSH_TOKEN", TOKEN)
    text = CONFIG.replace("    path: {inbox}\n", "")
    daemon, stored = Daemon(write_config(tmp_path, text=text)), Stored(tmp_path)
    with serving(daemon, reactor_thread):
        base = f"http://127.0.0.1:{wait_for(lambda: daemon.get(HttpServer).port, 'the server')}"
        status, _, answer = push(base, ndjson(CALLS))
        assert (status, answer) == (202, {"accepted": 2, "duplicates": 0})
        assert stored.runs() == 1  # the push, and no inbox pass of a folder it does not have
    assert len(stored.posts()) == 2
    # A folderless source that no push feeds would never bring anything.
    text = text.replace("source: hotline", "source: other") + (
        "  - name: other\n    type: transcripts\n    path: {inbox}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path, text=text))
    assert "source hotline has no path" in str(info.value) and "http.push.source" in str(info.value)


def test_the_push_source_must_be_a_transcripts_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_PUSH_TOKEN", TOKEN)
    path = write_config(tmp_path, text=CONFIG.replace("source: hotline", "source: forum"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "http.push.source: 'forum' is not a transcripts source" in str(info.value)


def test_a_reload_changes_the_limit_and_can_turn_it_off(
    config_path: Path, tmp_path: Path, reactor_thread
) -> None:
    daemon, stored = Daemon(config_path), Stored(tmp_path)
    record = ndjson([{"id": "r1", "text": "安心e生" * 200}])
    with serving(daemon, reactor_thread):
        base = started(daemon, stored)
        assert push(base, record)[0] == 202

        def reload(text: str) -> bool:
            write_config(tmp_path, max_body_mb=0.001, text=text)
            done = asyncio.run_coroutine_threadsafe(_call(daemon.reload), reactor_thread.loop)
            return done.result(30)

        assert reload(CONFIG) is True
        assert push(base, record)[0] == 413
        # A config the reload refuses leaves the endpoint as it was.
        assert reload(CONFIG.replace("source: hotline", "source: forum")) is False
        assert push(base, record)[0] == 413
        off = CONFIG.replace(
            "  push:\n    source: hotline\n    token: ${{HOTLINE_PUSH_TOKEN}}\n"
            "    max_body_mb: {max_body_mb}\n",
            "",
        )
        assert reload(off) is True
        assert push(base, record[:100])[0] == 404


async def _call(func: Any) -> Any:
    return func()


def test_times_without_a_zone_are_in_the_sources_zone(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from yujing.config import TranscriptSource
    from yujing.crawlers.push import parse_body

    source = TranscriptSource(
        name="hk", type="transcripts", path=tmp_path, timezone="Europe/London"
    )
    body = ndjson([{"text": "理赔被拒", "time": "2026-11-20 10:00:00"}, {"text": "退保难"}])
    received = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    kwargs = {"salt": "test-salt", "timezone": "Asia/Shanghai", "received": received}
    first, second = parse_body(body, "application/x-ndjson", source, **kwargs)
    assert first.published_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # London, winter
    assert second.published_at == received  # no time: when it was received
    assert (first.source, first.url) == ("hk", "transcript://hk/push#1")
