"""The pieces under the Alertmanager API: matchers both ways, the silence a client posts, the
routes with a path parameter, who may write, and silences journalled wherever they are made."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yujing.alerts import Silence
from yujing.app import ops
from yujing.app.amapi.guard import api_exposure, is_loopback, read_refusal, write_refusal
from yujing.app.amapi.silences import (
    BadRequest,
    filter_matchers,
    matches_filter,
    posted_silence,
)
from yujing.app.web import HttpResponse, RouteTable
from yujing.config import load_config
from yujing.matchers import matcher_text, parse_matcher
from yujing.records import utcnow
from yujing.store import Store

from .amapi_kit import write


@settings(max_examples=300, deadline=None)
@given(
    label=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
    op=st.sampled_from(["=", "!="]),
    value=st.text(max_size=20).filter(lambda v: "\n" not in v),
)
def test_a_matcher_written_as_text_reads_back_the_same(label: str, op: str, value: str) -> None:
    m = parse_matcher(matcher_text(label, op, value))
    assert (m.label, m.op, m.value) == (label, op, value)


def test_matcher_text_is_bare_when_it_can_be_and_quoted_when_it_must() -> None:
    assert matcher_text("product", "=", "anxin-e") == "product=anxin-e"
    assert matcher_text("severity", "=~", "red|orange") == 'severity=~"red|orange"'
    assert matcher_text("category", "=", "") == 'category=""'
    assert parse_matcher(matcher_text("category", "=~", "claims|.*费")).matches(
        {"category": "退保费"}
    )
    with pytest.raises(ValueError, match="label name"):
        matcher_text("1abc", "=", "x")


def test_a_posted_silence_is_read_or_refused_with_what_to_fix() -> None:
    body = {
        "matchers": [
            {"name": "product", "value": "anxin-e", "isRegex": False},
            {"name": "severity", "value": "red|orange", "isRegex": True, "isEqual": False},
        ],
        "startsAt": "2026-12-08T09:00:00.123Z",
        "endsAt": "2026-12-08T11:00:00+08:00",
        "createdBy": "张三",
        "comment": "已知",
    }
    posted = posted_silence(json.dumps(body).encode())
    assert posted.matchers == ["product=anxin-e", 'severity!~"red|orange"']
    assert posted.ends_at - posted.starts_at < timedelta(0)  # 11:00+08:00 is 03:00Z
    assert posted.id is None
    bad = {
        b"\xff": "not JSON",
        b"[]": "JSON object",
        json.dumps({**body, "matchers": []}).encode(): "at least one",
        json.dumps({k: v for k, v in body.items() if k != "comment"}).encode(): "comment",
        json.dumps({**body, "startsAt": "tomorrow"}).encode(): "startsAt",
        json.dumps(
            {**body, "matchers": [{"name": "x y", "value": "1", "isRegex": False}]}
        ).encode(): "matchers[0]",
        json.dumps(
            {**body, "matchers": [{"name": "p", "value": "(", "isRegex": True}]}
        ).encode(): "matchers[0]",
    }
    for raw, said in bad.items():
        with pytest.raises(BadRequest, match=said.replace("[", r"\[").replace("]", r"\]")):
            posted_silence(raw)


def test_the_filter_of_alerts_and_silences() -> None:
    matchers = filter_matchers(['{product="anxin-e",comment="a,b"}', "severity=~red|orange"])
    assert [(m.label, m.op, m.value) for m in matchers] == [
        ("product", "=", "anxin-e"),
        ("comment", "=", "a,b"),
        ("severity", "=~", "red|orange"),
    ]
    with pytest.raises(BadRequest, match="filter"):
        filter_matchers(["product==x"])
    now = utcnow()
    silence = Silence(("product=anxin-e", "severity=~red|orange"), now, now, "a", "c")
    assert matches_filter(silence, filter_matchers(["product=~anx.*"]))
    assert not matches_filter(silence, filter_matchers(["product=kangning"]))
    assert not matches_filter(silence, filter_matchers(["category=claims"]))


def test_a_route_with_a_path_parameter() -> None:
    table = RouteTable()
    table.route("GET", "/api/v2/silence/{id}", lambda r: HttpResponse.text("one"))
    table.route("DELETE", "/api/v2/silence/{id}", lambda r: HttpResponse.text("gone"))
    table.route("GET", "/api/v2/silences", lambda r: HttpResponse.text("all"))
    assert table.find("GET", "/api/v2/silence/ab12") == ("GET", "/api/v2/silence/{id}")
    assert table.find("GET", "/api/v2/silences") == ("GET", "/api/v2/silences")
    for path in ("/api/v2/silence/", "/api/v2/silence/a/b", "/api/v2/silence"):
        assert table.find("GET", path) is None
    assert table.methods("/api/v2/silence/x") == ["DELETE", "GET"]


def test_who_may_write_and_read(tmp_path: Path) -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "10.0.0.1", "example.com", "", "::"]))
    here = load_config(write(tmp_path, listen="127.0.0.1:9414"))
    local = {"host": "127.0.0.1:9414"}
    assert write_refusal(here, local) is None and read_refusal(here, local) is None
    assert write_refusal(here, {"host": "[::1]:9414", "origin": "http://localhost:3000"}) is None
    for headers in ({"host": "evil.example"}, {**local, "origin": "https://evil.example"}, {}):
        refused = write_refusal(here, headers)
        assert refused is not None and refused.status == 403
    wide = load_config(write(tmp_path, listen="0.0.0.0:9414"))
    refused = write_refusal(wide, local)
    assert refused is not None and refused.status == 403
    assert "read-only" in json.loads(refused.body)
    assert read_refusal(wide, {"host": "yujing.example.cn"}) is None  # reads are open there
    # What check-config says of each.
    said_here, said_wide = api_exposure(here), api_exposure(wide)
    assert said_here is not None and said_wide is not None
    assert "http://127.0.0.1:9414/api/v2/" in said_here and "added and expired" in said_here
    assert "ANYONE" in said_wide and "403" in said_wide
    assert api_exposure(load_config(write(tmp_path, listen=None))) is None


def test_silences_are_journalled_with_where_they_were_made(tmp_path: Path) -> None:
    config = load_config(write(tmp_path))
    store = Store(config.storage.path)
    try:
        made = ops.add_silence(
            store, config, ["product=kangning"], duration="1h", author="李四", comment="演练"
        )
        now = utcnow()
        later = ops.keep_silence(
            store,
            config,
            ["product=anxin-e"],
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
            author="张三",
            comment="夜间维护",
            via="api",
        )
        ops.expire_silence(store, later.id, via="console")
        with pytest.raises(ops.OpsError, match="who silences"):
            ops.keep_silence(
                store, config, ["product=anxin-e"], starts_at=now,
                ends_at=now + timedelta(hours=1), author=" ", comment="x", via="api",
            )  # fmt: skip
        with pytest.raises(ops.OpsError, match="up to a year"):
            ops.keep_silence(
                store, config, ["product=anxin-e"], starts_at=now,
                ends_at=now + timedelta(days=400), author="a", comment="x", via="api",
            )  # fmt: skip
        entries = [json.loads(e.body) for e in store.audit.entries() if e.kind == "silence"]
        assert store.audit.verify() == []
    finally:
        store.close()
    assert [(e["action"], e["id"], e["via"]) for e in entries] == [
        ("add", made.id, "cli"),
        ("add", later.id, "api"),
        ("expire", later.id, "console"),
    ]
    # Expired before it began: it never runs.
    assert entries[2]["ends_at"] == entries[2]["starts_at"]
