"""Hostile input from outside, generated: transcript files of every format, the times sites
print, exported post records and route matchers. Each either gives what it should or fails with
the error its callers handle (and show to people); none raises anything else."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yujing.crawlers.inbox import TranscriptError, parse_transcripts
from yujing.crawlers.timeparse import parse_published
from yujing.matchers import parse_matcher
from yujing.records import Post

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Text that looks like what the parsers meet: Chinese, digits, separators, quotes, line breaks.
pieces = st.sampled_from(
    [
        "理赔", "被拒", "客户", "坐席", "2026-11-30", "09:00", "11月24日", "3分钟前", "昨天",
        ",", "\t", '"', "\n", "\r\n", ":", "：", "{", "}", "[", "]", "通话编号", "角色", "内容",
        "时间", "来电号码", "text", "call", "role", "id", "\x00", "\ufeff", "１４：０５", "T", "Z",
        "+08:00", "null", "1e400", "-1", "年", "月", "日", "前天", "半小时前", "1700000000",
    ]
)  # fmt: skip
lines = st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=30).map("".join)
encodings = st.sampled_from(["utf-8", "gbk", "gb18030", "utf-16", "big5"])


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@SETTINGS
@given(lines, encodings, st.sampled_from(["calls.jsonl", "calls.csv", "call.txt"]))
def test_transcript_files_parse_or_fail_with_file_line_and_field(text, encoding, name):
    try:
        calls = parse_transcripts(name, encoded(text, encoding), NOW, SHANGHAI)
    except TranscriptError as exc:
        assert str(exc).startswith(name), str(exc)  # the file is named first
        assert "\n" not in str(exc).strip() or exc.line is not None
    else:
        for call in calls:
            assert call.text.strip() and call.native_id
            assert call.published_at.tzinfo is not None
            assert call.published_at - datetime.now(UTC) <= timedelta(days=1)


@SETTINGS
@given(st.lists(st.dictionaries(st.sampled_from(["id", "text", "call", "role", "caller", "time",
       "agent", "product", "duration"]), st.one_of(st.none(), st.integers(), st.floats(),
       st.booleans(), lines, st.lists(st.integers(), max_size=2))), max_size=6))  # fmt: skip
def test_jsonl_records_of_any_shape(records):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    try:
        parse_transcripts("calls.jsonl", data, NOW, SHANGHAI)
    except TranscriptError as exc:
        assert str(exc).startswith("calls.jsonl")


@SETTINGS
@given(lines)
def test_times_as_sites_print_them(text):
    at = parse_published(text, NOW, SHANGHAI)
    assert at is None or (at.tzinfo is not None and at - NOW <= timedelta(days=1))


@SETTINGS
@given(st.dictionaries(st.sampled_from(["source", "url", "id", "author", "title", "text",
       "published_at", "fetched_at", "reach", "extras"]), st.one_of(st.none(), st.integers(),
       lines, st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))))  # fmt: skip
def test_exported_post_records(record):
    try:
        post = Post.from_dict(record)
    except (KeyError, TypeError, ValueError):
        return  # what replay --posts reports, naming the line
    assert post.published_at.tzinfo is not None


@SETTINGS
@given(st.text(max_size=40))
def test_route_matchers(text):
    try:
        matcher = parse_matcher(text)
    except ValueError as exc:
        assert repr(text) in str(exc) or text in str(exc)
    else:
        assert matcher.label
