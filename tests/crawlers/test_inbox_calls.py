"""Exports with one row per utterance are joined into calls: the customer's words are the text,
the agent's greeting is not a post, and a call is identified by its call id."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from yujing.config import ConfigError, TranscriptRoles, TranscriptSource, load_config
from yujing.crawlers.inbox import (
    CallLayout,
    TranscriptError,
    TranscriptInbox,
    layout_of,
    parse_transcripts,
)
from yujing.records import post_id

from .test_inbox import SALT, Collector, drop, listing

MTIME = datetime(2026, 11, 30, tzinfo=UTC)
GREETING = "您好，这里是客服中心，请问有什么可以帮您？"

# Two calls interleaved, as an export sorted by time gives them.
UTTERANCES = (
    "通话编号,时间,角色,内容\n"
    f"C1001,2026-11-30 09:00:01,坐席,{GREETING}\n"
    f"C1002,2026-11-30 09:00:05,坐席,{GREETING}\n"
    "C1001,2026-11-30 09:00:09,客户,我去年买的安心e生医疗险，住院花了四万，理赔被拒了\n"
    "C1002,2026-11-30 09:00:12,客户,我想问一下续保需要什么材料\n"
    "C1001,2026-11-30 09:00:20,坐席,请您提供一下保单号\n"
    "C1001,2026-11-30 09:00:31,客户,体检报告里根本没写结节，凭什么说我没告知\n"
    "C1003,2026-11-30 09:01:00,系统,您的来电已转入语音信箱\n"
)


def parse(content: str | bytes, name: str = "calls.csv", layout: CallLayout | None = None):
    data = content.encode("gbk") if isinstance(content, str) else content
    return parse_transcripts(name, data, MTIME, UTC, layout=layout)


def test_rows_of_a_call_are_joined_and_only_the_customer_speaks_in_the_text() -> None:
    calls = parse(UTTERANCES)
    assert [c.native_id for c in calls] == ["C1001", "C1002"]  # C1003: nobody but the system
    first, second = calls
    assert first.text == (
        "我去年买的安心e生医疗险，住院花了四万，理赔被拒了\n体检报告里根本没写结节，凭什么说我没告知"
    )
    assert GREETING not in first.text and GREETING not in second.text
    assert "保单号" not in first.text
    assert first.published_at == datetime(2026, 11, 30, 9, 0, 1, tzinfo=UTC)  # its first row
    assert first.line == 2 and second.line == 3
    assert second.text == "我想问一下续保需要什么材料"


def test_an_unknown_role_names_the_file_line_and_field() -> None:
    bad = UTTERANCES + "C1004,2026-11-30 09:02:00,主管,我来处理\n"
    with pytest.raises(TranscriptError) as caught:
        parse(bad)
    err = caught.value
    assert (err.file, err.line, err.field) == ("calls.csv", 9, "speaker")
    assert "'主管'" in str(err) and "roles:" in str(err)


def test_a_row_without_its_call_id_is_an_error() -> None:
    with pytest.raises(TranscriptError) as caught:
        parse("通话编号,角色,内容\n,客户,理赔被拒\n")
    assert (caught.value.line, caught.value.field) == (2, "id")
    with pytest.raises(TranscriptError) as caught:  # no column says which call a row is of
        parse("时间,角色,内容\n2026-11-30 09:00,客户,理赔被拒\n")
    assert (caught.value.line, caught.value.field) == (1, "id")
    assert "columns: {id: 通话编号}" in str(caught.value)


def test_an_exports_own_column_and_role_names_come_from_config() -> None:
    export = (
        "序号,会话流水,发生时间,说话方,话术\n"
        "1,S-9,2026-11-30 10:00:00,投诉人,退保只退一半，业务员当初说随时全额退\n"
        "2,S-9,2026-11-30 10:00:30,专员,已为您记录\n"
    )
    source = TranscriptSource(
        name="hotline",
        type="transcripts",
        path=Path("inbox"),
        columns={"id": "会话流水", "time": "发生时间", "speaker": "说话方", "text": "话术"},
        roles=TranscriptRoles(customer=["投诉人"], agent=["专员"]),
    )
    (call,) = parse(export, layout=layout_of(source))
    assert call.native_id == "S-9"
    assert call.text == "退保只退一半，业务员当初说随时全额退"
    with pytest.raises(TranscriptError) as caught:  # without the mapping: no text column
        parse(export)
    assert caught.value.field == "text"


def test_jsonl_utterances_are_joined_too() -> None:
    lines = [
        {"id": "J1", "role": "agent", "text": GREETING, "time": "2026-11-30T09:00:00+08:00"},
        {
            "id": "J1",
            "speaker": "customer",
            "text": "理赔三个月了还没到账",
            "caller": "13800138000",
        },
        {"id": "J2", "text": "一通整条的来电：退保扣费太多"},
    ]
    content = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
    calls = parse(content.encode("utf-8"), name="calls.jsonl")
    assert {c.native_id: c.text for c in calls} == {
        "J2": "一通整条的来电：退保扣费太多",
        "J1": "理赔三个月了还没到账",
    }
    joined = next(c for c in calls if c.native_id == "J1")
    assert joined.caller == "13800138000"
    assert joined.published_at == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_the_inbox_stores_one_post_per_call(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "通话明细-1130.csv", UTTERANCES.encode("gbk"))
    source = TranscriptSource(name="hotline", type="transcripts", path=inbox_dir)
    sink = Collector()
    result = TranscriptInbox(source, salt=SALT, settle_seconds=0).process(sink)
    assert (result.files, result.posts, result.accepted) == (1, 2, 2)
    assert [p.id for p in sink.posts] == [post_id("hotline", "C1001"), post_id("hotline", "C1002")]
    assert all(GREETING not in p.text for p in sink.posts)
    assert listing(inbox_dir / "done") == ["通话明细-1130.csv"]


def test_check_config_names_a_column_mapped_to_no_field(tmp_path: Path) -> None:
    path = tmp_path / "yujing.yaml"
    path.write_text(
        "sources:\n"
        "  - name: hotline\n"
        "    type: transcripts\n"
        "    path: inbox\n"
        "    columns:\n"
        "      role: 说话方\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"{path}:5:" in message and "sources[0].columns" in message
    assert "'role' is not a field" in message and "speaker" in message


def test_a_bad_file_names_every_bad_line_up_to_a_limit() -> None:
    lines = ['{"text": "理赔被拒"}', '{"caller": "138"}', "not json", '{"text": "好"}', "[1]"]
    with pytest.raises(TranscriptError) as caught:
        parse("\n".join(lines).encode("utf-8"), name="calls.jsonl")
    message = str(caught.value)
    assert message.startswith('calls.jsonl line 2: field "text": missing')
    assert "; line 3: invalid JSON" in message and "; line 5: expected a JSON object" in message
    csv_rows = "内容,时间\n理赔被拒,2026-11-30 09:00\n,2026-11-30 09:01\n退保难,明天\n"
    with pytest.raises(TranscriptError) as caught:
        parse(csv_rows)
    assert (caught.value.line, caught.value.field) == (3, "text")
    assert '; line 4: field "time": ' in str(caught.value)
    many = "\n".join(['{"caller": "138"}'] * 30).encode("utf-8")
    with pytest.raises(TranscriptError) as caught:
        parse(many, name="calls.jsonl")
    assert len(caught.value.more) == 19 and "and 10 more bad lines" in str(caught.value)


def test_a_call_centre_in_another_zone_sets_its_sources_timezone(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "calls.csv", UTTERANCES.encode("gbk"))
    source = TranscriptSource(
        name="hotline", type="transcripts", path=inbox_dir, timezone="Europe/London"
    )
    sink = Collector()
    TranscriptInbox(source, salt=SALT, settle_seconds=0, timezone="Asia/Shanghai").process(sink)
    assert sink.posts[0].published_at == datetime(2026, 11, 30, 9, 0, 1, tzinfo=UTC)
