"""The transcript inbox, driven through real files in a temporary folder."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from yujing.config import TranscriptSource
from yujing.crawlers.inbox import (
    InboxSinkError,
    TranscriptError,
    TranscriptInbox,
    content_id,
    ingest_files,
)
from yujing.records import Post, hash_author, post_id

SALT = "test-salt-0001"
JSONL_HINT = (
    'each line must be a JSON object with "text" '
    '(and optionally "id", "caller", "time", "agent", "product")'
)

CLAIM_DENIED = (
    "客户来电称去年投保安心e生医疗险，今年三月住院做了甲状腺手术，花了四万多，"
    "提交理赔后被拒，理由是投保前有结节未告知。客户说体检报告里根本没写，要求重新审核，"
    "并称他们小区有十几个人都遇到同样的情况，准备一起去银保监投诉。"
)
SURRENDER_FEE = (
    "客户投保福满堂年金险两年，想退保，被告知只能退现金价值，扣费将近一半。"
    "客户表示业务员当初说随时可以全额退，情绪激动，要求录音回访。"
)


class Collector:
    """A sink like the pipeline's: True for a new post, False for one it has seen."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.seen: set[str] = set()

    def __call__(self, post: Post) -> bool:
        self.posts.append(post)
        if post.id in self.seen:
            return False
        self.seen.add(post.id)
        return True


def make_inbox(folder: Path, **kwargs: object) -> TranscriptInbox:
    source = TranscriptSource(name="hotline", type="transcripts", path=folder)
    kwargs.setdefault("settle_seconds", 0)
    return TranscriptInbox(source, salt=SALT, **kwargs)  # type: ignore[arg-type]


def drop(folder: Path, name: str, content: str | bytes, *, age: float = 60.0) -> Path:
    """Write a file as a call-centre system would, aged so it counts as finished."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def jsonl(*records: dict[str, object]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- good files


def test_jsonl_file_becomes_posts_and_moves_to_done(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(
        inbox_dir,
        "calls-1120.jsonl",
        jsonl(
            {
                "id": "C20261120-0001",
                "caller": "138-0013-8000",
                "time": "2026-11-20 14:05:00",
                "agent": "工号1032",
                "product": "安心e生医疗险",
                "duration": "6:12",
                "text": CLAIM_DENIED,
            },
            {"caller": 13900139000, "time": "2026-11-20T15:30:00+08:00", "text": SURRENDER_FEE},
        )
        + "\n",  # a trailing blank line is not a record
    )
    sink = Collector()

    result = make_inbox(inbox_dir).process(sink)

    assert (result.files, result.posts, result.accepted, result.quarantined) == (1, 2, 2, [])
    first, second = sink.posts
    assert first.source == "hotline"
    assert first.id == post_id("hotline", "C20261120-0001")
    assert first.url == "transcript://hotline/calls-1120.jsonl#1"
    assert first.text == CLAIM_DENIED
    assert first.title == CLAIM_DENIED[:30]
    assert first.author == hash_author("13800138000", SALT)
    # 14:05 in Shanghai is 06:05 UTC.
    assert first.published_at == datetime(2026, 11, 20, 6, 5, tzinfo=UTC)
    assert first.extras == {
        "agent": "工号1032",
        "duration": 372,
        "product": "安心e生医疗险",
        "file": "calls-1120.jsonl",
        "line": 1,
        "channel": "hotline",
        "call_id": "C20261120-0001",  # the export's own id, shown in alerts
    }
    assert "call_id" not in second.extras  # no id of its own: nothing to show
    # No id: file name and line plus a digest of the call stand in, so a re-dropped file is
    # recognised and a new day's export under the same name is not.
    assert second.id == post_id(
        "hotline",
        content_id("calls-1120.jsonl#2", "13900139000", "2026-11-20T15:30:00+08:00", SURRENDER_FEE),
    )
    assert second.author == hash_author("13900139000", SALT)
    assert second.published_at == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert second.extras["agent"] is None and second.extras["duration"] is None
    assert listing(inbox_dir) == ["done", "quarantine"]
    assert listing(inbox_dir / "done") == ["calls-1120.jsonl"]


def test_missing_folders_are_created(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "nested" / "hotline"
    result = make_inbox(inbox_dir).process(Collector())
    assert result.files == 0 and result.posts == 0
    assert listing(inbox_dir) == ["done", "quarantine"]


def test_gbk_csv_with_chinese_headers(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    content = (
        "编号,来电时间,主叫,坐席,通话时长,内容,备注\n"
        f"T1,2026/11/20 09:12:00,+86 138 0013 8000,王丽,95,{SURRENDER_FEE},已转投诉组\n"
        "T2,2026-11-20 09:40,13700137000,王丽,1:35,"
        '"安心e生医疗险理赔被拒，客户说：""拒赔理由不成立""",\n'
    )
    drop(inbox_dir, "坐席导出-1120.csv", content.encode("gbk"))
    sink = Collector()

    result = make_inbox(inbox_dir).process(sink)

    assert (result.files, result.posts, result.accepted) == (1, 2, 2)
    first, second = sink.posts
    assert first.text == SURRENDER_FEE
    assert first.id == post_id("hotline", "T1")
    assert first.author == hash_author("13800138000", SALT)  # +86 and spaces normalised away
    assert first.published_at == datetime(2026, 11, 20, 1, 12, tzinfo=UTC)
    assert first.extras["agent"] == "王丽" and first.extras["duration"] == 95
    assert first.url == "transcript://hotline/%E5%9D%90%E5%B8%AD%E5%AF%BC%E5%87%BA-1120.csv#2"
    assert first.extras["file"] == "坐席导出-1120.csv"
    assert second.text == '安心e生医疗险理赔被拒，客户说："拒赔理由不成立"'
    assert second.extras["line"] == 3 and second.extras["duration"] == 95
    assert listing(inbox_dir / "done") == ["坐席导出-1120.csv"]


def test_gb18030_txt_is_one_transcript(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    # 𠮷 is outside GBK: only GB18030 encodes it, so this proves the wider codec is used.
    text = "客户吉先生（𠮷字旁）来电：\n福满堂年金险退保扣费，\n要求解释现金价值计算方式。"
    path = drop(inbox_dir, "来电-0932.txt", ("\n  " + text + "\n\n").encode("gb18030"))
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    sink = Collector()

    result = make_inbox(inbox_dir).process(sink)

    assert (result.files, result.posts) == (1, 1)
    (post,) = sink.posts
    assert post.text == text
    assert post.title == "客户吉先生（𠮷字旁）来电： 福满堂年金险退保扣费， 要求解释"
    assert len(post.title) == 30
    assert post.id == post_id("hotline", content_id("来电-0932.txt", None, None, text))
    assert post.published_at == mtime  # a .txt carries no time of its own
    assert post.author is None
    assert post.extras["line"] is None and post.extras["channel"] == "hotline"
    assert "#" not in post.url


def test_txt_header_gives_caller_time_and_agent(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    content = (
        "来电号码: 138 0013 8000\r\n通话时间：2026-11-20 14:05:00\r\n坐席: 王丽\r\n\r\n"
        + CLAIM_DENIED
        + "\r\n"
    )
    drop(inbox_dir, "call-20261120-140500-0001.txt", content.encode("gbk"))
    sink = Collector()

    make_inbox(inbox_dir).process(sink)

    (post,) = sink.posts
    assert post.text == CLAIM_DENIED  # the phone number is hashed, not kept in the text
    assert post.author == hash_author("13800138000", SALT)
    assert post.published_at == datetime(2026, 11, 20, 6, 5, tzinfo=UTC)
    assert post.extras["agent"] == "王丽"
    assert post.id == post_id(
        "hotline",
        content_id(
            "call-20261120-140500-0001.txt", "138 0013 8000", "2026-11-20 14:05:00", CLAIM_DENIED
        ),
    )


def test_txt_dialogue_is_not_mistaken_for_a_header(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    dialogue = (
        "坐席：您好，请问有什么可以帮您？\n客户：我的安心e生医疗险理赔被拒了。\n\n"
        "坐席：我帮您查一下。"
    )
    drop(inbox_dir, "dialogue.txt", dialogue)
    sink = Collector()
    make_inbox(inbox_dir).process(sink)
    (post,) = sink.posts
    assert post.text == dialogue
    assert post.author is None and post.extras["agent"] is None


def test_txt_header_with_a_bad_time_is_bad(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "call.txt", f"主叫: 13800138000\n时间: 昨天下午\n\n{SURRENDER_FEE}")
    result = make_inbox(inbox_dir).process(Collector())
    assert result.quarantined == [
        (
            "call.txt",
            "call.txt: field \"time\": '昨天下午' is not a time; use ISO 8601 like "
            "2026-11-20T14:05:00+08:00, or 2026-11-20 14:05:00 (local time)",
        )
    ]


def test_gbk_jsonl(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(
        inbox_dir, "gbk.jsonl", jsonl({"text": CLAIM_DENIED, "caller": "13800138000"}).encode("gbk")
    )
    sink = Collector()
    make_inbox(inbox_dir).process(sink)
    assert [p.text for p in sink.posts] == [CLAIM_DENIED]


def test_utf8_bom_tab_separated_csv(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    content = (
        "Text\tCaller\tTime\tProduct\n"
        f"{CLAIM_DENIED}\t13800138000\t2026-11-20 08:00:00\t安心e生医疗险\n"
        "\n"
        "福满堂年金险, 退保扣费太多, 客户要求全额退款\t13600136000\t\t福满堂年金险\n"
    )
    path = drop(inbox_dir, "export.csv", "\ufeff" + content)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    sink = Collector()

    result = make_inbox(inbox_dir).process(sink)

    assert (result.files, result.posts, result.quarantined) == (1, 2, [])
    first, second = sink.posts
    assert first.text == CLAIM_DENIED  # the BOM did not hide the "Text" column
    assert first.extras["product"] == "安心e生医疗险"
    assert first.published_at == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    # Commas inside the text did not split it: the header showed the file is tab-separated.
    assert second.text == "福满堂年金险, 退保扣费太多, 客户要求全额退款"
    assert second.extras["line"] == 4
    assert second.id == post_id(
        "hotline", content_id("export.csv#4", "13600136000", "", second.text)
    )
    assert second.published_at == mtime  # empty time cell: file time


def test_utf16_export_with_bom(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "unicode.csv", f"内容\t主叫\n{SURRENDER_FEE}\t13800138000\n".encode("utf-16"))
    sink = Collector()
    make_inbox(inbox_dir).process(sink)
    assert [p.text for p in sink.posts] == [SURRENDER_FEE]


def test_quoted_multiline_cell_keeps_line_numbers(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    content = (
        'text,caller\n"第一通：\n安心e生医疗险理赔被拒\n客户很生气",13800138000\n'
        "第二通：退保扣费,13900139000\n"
    )
    drop(inbox_dir, "multi.csv", content)
    sink = Collector()
    make_inbox(inbox_dir).process(sink)
    assert [(p.text, p.extras["line"]) for p in sink.posts] == [
        ("第一通：\n安心e生医疗险理赔被拒\n客户很生气", 2),
        ("第二通：退保扣费", 5),
    ]
    assert sink.posts[0].title == "第一通： 安心e生医疗险理赔被拒 客户很生气"


def test_jsonl_text_may_hold_unicode_line_separators(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    text = "理赔被拒\u2028客户要求复核\x85退保扣费"
    drop(
        inbox_dir, "sep.jsonl", jsonl({"text": text}, {"text": SURRENDER_FEE}).replace("\n", "\r\n")
    )
    sink = Collector()
    make_inbox(inbox_dir).process(sink)
    assert [(p.text, p.extras["line"]) for p in sink.posts] == [(text, 1), (SURRENDER_FEE, 2)]


def test_custom_timezone_and_aware_times(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(
        inbox_dir,
        "hk.jsonl",
        jsonl(
            {"text": "理赔被拒", "time": "2026-11-20 14:05:00"},
            {"text": "退保扣费", "time": "2026-11-20T14:05:00Z"},
        ),
    )
    sink = Collector()
    make_inbox(inbox_dir, timezone="Europe/London").process(sink)
    assert [p.published_at for p in sink.posts] == [
        datetime(2026, 11, 20, 14, 5, tzinfo=UTC),  # London is on UTC in November
        datetime(2026, 11, 20, 14, 5, tzinfo=UTC),
    ]


def test_same_caller_written_differently_is_one_complainant(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(
        inbox_dir,
        "callers.jsonl",
        jsonl(
            {"text": "一", "caller": "13800138000"},
            {"text": "二", "caller": "+86 138-0013-8000"},
            {"text": "三", "caller": "0086 13800138000"},
            {"text": "四", "caller": "张先生"},
            {"text": "五", "caller": "  "},
        ),
    )
    sink = Collector()
    make_inbox(inbox_dir).process(sink)
    authors = [p.author for p in sink.posts]
    assert authors[0] == authors[1] == authors[2] == hash_author("13800138000", SALT)
    assert authors[3] == hash_author("张先生", SALT)
    assert authors[4] is None


def test_redropped_file_is_counted_as_duplicates(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    content = jsonl({"text": CLAIM_DENIED}, {"text": SURRENDER_FEE})
    inbox = make_inbox(inbox_dir)
    sink = Collector()
    drop(inbox_dir, "calls.jsonl", content)
    assert inbox.process(sink).accepted == 2

    drop(inbox_dir, "calls.jsonl", content)
    result = inbox.process(sink)

    assert (result.files, result.posts, result.accepted) == (1, 2, 0)
    assert sink.posts[0].id == sink.posts[2].id


def test_a_new_export_under_a_reused_name_is_new_calls(tmp_path: Path) -> None:
    # Call centres export calls.jsonl every day: same name, same line numbers, other calls.
    inbox_dir = tmp_path / "inbox"
    inbox = make_inbox(inbox_dir)
    sink = Collector()
    drop(inbox_dir, "calls.jsonl", jsonl({"text": CLAIM_DENIED}, {"text": SURRENDER_FEE}))
    assert inbox.process(sink).accepted == 2
    drop(
        inbox_dir,
        "calls.jsonl",
        jsonl({"text": "第二天：安心e生续保被拒"}, {"text": "第二天：退保扣了一半"}),
    )
    result = inbox.process(sink)
    assert (result.files, result.posts, result.accepted) == (1, 2, 2)
    assert len({p.id for p in sink.posts}) == 4


# ---------------------------------------------------------------- bad files


def test_jsonl_with_a_bad_line_is_quarantined_whole(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    bad = jsonl({"text": CLAIM_DENIED}, {"text": SURRENDER_FEE}, {"caller": "13800138000"})
    drop(inbox_dir, "calls-1120.jsonl", bad)
    drop(inbox_dir, "calls-1121.jsonl", jsonl({"text": "另一个文件：理赔被拒"}))
    sink = Collector()

    result = make_inbox(inbox_dir).process(sink)

    reason = f'calls-1120.jsonl line 3: field "text": missing; {JSONL_HINT}'
    assert result.quarantined == [("calls-1120.jsonl", reason)]
    assert (result.files, result.posts) == (1, 1)
    # Nothing from the bad file reached the sink, not even its good first two lines.
    assert [p.extras["file"] for p in sink.posts] == ["calls-1121.jsonl"]
    quarantine = inbox_dir / "quarantine"
    assert listing(quarantine) == ["calls-1120.jsonl", "calls-1120.jsonl.reason.txt"]
    assert (quarantine / "calls-1120.jsonl").read_text(encoding="utf-8") == bad
    assert (quarantine / "calls-1120.jsonl.reason.txt").read_text(encoding="utf-8") == reason + "\n"
    assert listing(inbox_dir / "done") == ["calls-1121.jsonl"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "{not json",
            "line 2: invalid JSON (Expecting property name enclosed in double quotes, column 2); "
            + JSONL_HINT,
        ),
        ('["理赔被拒"]', f"line 2: expected a JSON object, got list; {JSONL_HINT}"),
        (
            '{"text": "理赔被拒", "id": ' + "1" * 5000 + "}",
            f"line 2: invalid JSON (a number too long or nesting too deep); {JSONL_HINT}",
        ),
        (
            "[" * 100_000,
            f"line 2: invalid JSON (a number too long or nesting too deep); {JSONL_HINT}",
        ),
        ('{"text": 42}', 'line 2: field "text": expected a string, got number'),
        ('{"text": "  "}', 'line 2: field "text": empty; a transcript needs its text'),
        (
            '{"text": "理赔被拒", "time": "20/11/2026"}',
            "line 2: field \"time\": '20/11/2026' is not a time; use ISO 8601 like "
            "2026-11-20T14:05:00+08:00, or 2026-11-20 14:05:00 (local time)",
        ),
        (
            '{"text": "理赔被拒", "caller": ["138"]}',
            'line 2: field "caller": expected a string or an integer, got list',
        ),
        (
            '{"text": "理赔被拒", "product": 7}',
            'line 2: field "product": expected a string, got number',
        ),
        (
            '{"text": "理赔被拒", "duration": "很久"}',
            "line 2: field \"duration\": expected seconds or a clock like 1:35, got '很久'",
        ),
        (
            '{"text": "理赔被拒", "duration": -5}',
            'line 2: field "duration": expected seconds or a clock like 1:35, got -5',
        ),
    ],
)
def test_jsonl_problems_name_line_and_field(tmp_path: Path, line: str, reason: str) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "x.jsonl", jsonl({"text": "第一行没问题"}) + line + "\n")
    sink = Collector()
    result = make_inbox(inbox_dir).process(sink)
    assert result.quarantined == [("x.jsonl", f"x.jsonl {reason}")]
    assert sink.posts == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            "来电号码,时间\n13800138000,2026-11-20 09:00\n",
            'bad.csv line 1: field "text": no text column in the header '
            "(found '来电号码', '时间'); the first row must name the columns, "
            "e.g. text,caller,time (or 内容,来电号码,时间), "
            "separated by commas or tabs",
        ),
        (
            "内容,文本\n理赔被拒,理赔被拒\n",
            "bad.csv line 1: field \"text\": two columns mean text: '内容' and '文本'; keep one",
        ),
        (
            "内容,主叫\n理赔被拒,13800138000\n退保扣费,太多了,13900139000\n",
            "bad.csv line 3: 3 values but the header has 2 columns",
        ),
        (
            "内容,主叫\n理赔被拒,13800138000\n,13900139000\n",
            'bad.csv line 3: field "text": empty; a transcript needs its text',
        ),
        (
            '内容,主叫\n"理赔被拒,13800138000\n',
            "bad.csv line 2: malformed CSV (unexpected end of data)",
        ),
    ],
)
def test_csv_problems_name_line_and_field(tmp_path: Path, content: str, reason: str) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "bad.csv", content)
    sink = Collector()
    result = make_inbox(inbox_dir).process(sink)
    assert result.quarantined == [("bad.csv", reason)]
    assert sink.posts == []
    assert listing(inbox_dir / "quarantine") == ["bad.csv", "bad.csv.reason.txt"]


def test_unsupported_extension_is_quarantined(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "录音清单.xlsx", b"PK\x03\x04 not a transcript")
    drop(inbox_dir, "README", "no extension at all")
    result = make_inbox(inbox_dir).process(Collector())
    assert sorted(result.quarantined) == [
        ("README", "README: unsupported file type (none); expected .jsonl, .csv or .txt"),
        (
            "录音清单.xlsx",
            "录音清单.xlsx: unsupported file type .xlsx; expected .jsonl, .csv or .txt",
        ),
    ]
    assert listing(inbox_dir / "quarantine") == [
        "README",
        "README.reason.txt",
        "录音清单.xlsx",
        "录音清单.xlsx.reason.txt",
    ]


def test_upper_case_extension_is_accepted(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "CALLS.TXT", CLAIM_DENIED)
    assert make_inbox(inbox_dir).process(Collector()).files == 1


@pytest.mark.parametrize("content", [b"", b"  \n\n", b"\xef\xbb\xbf\n"])
def test_empty_file_is_bad(tmp_path: Path, content: bytes) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "blank.txt", content)
    result = make_inbox(inbox_dir).process(Collector())
    assert result.quarantined == [("blank.txt", "blank.txt: file is empty")]
    assert (inbox_dir / "quarantine" / "blank.txt.reason.txt").read_text(encoding="utf-8") == (
        "blank.txt: file is empty\n"
    )


def test_undecodable_bytes_are_bad(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "garbled.txt", "理赔被拒".encode() + b"\xff\xfe\x00\x81")
    result = make_inbox(inbox_dir).process(Collector())
    assert result.quarantined == [
        (
            "garbled.txt",
            "garbled.txt: cannot tell the text's encoding with confidence: it is not UTF-8 "
            "(byte 0xff at offset 12) and reads as none of GBK/GB18030, Big5 or UTF-16 without "
            "garbled characters; save it as UTF-8",
        )
    ]


def test_binary_file_with_nul_bytes_is_bad(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "audio.txt", b"RIFF\x00\x00\x00\x00WAVEfmt ")
    result = make_inbox(inbox_dir).process(Collector())
    assert result.quarantined == [
        ("audio.txt", "audio.txt: not a text file (it contains NUL bytes)")
    ]


def test_quarantine_name_clash_gets_a_suffix(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox = make_inbox(inbox_dir)
    drop(inbox_dir, "calls.jsonl", '{"caller": "1"}\n')
    inbox.process(Collector())
    drop(inbox_dir, "calls.jsonl", "not json\n")
    result = inbox.process(Collector())

    assert result.quarantined[0][1].startswith("calls.jsonl line 1: invalid JSON")
    names = listing(inbox_dir / "quarantine")
    assert len(names) == 4
    clash = next(n for n in names if n not in ("calls.jsonl", "calls.jsonl.reason.txt"))
    clash = clash.removesuffix(".reason.txt")
    assert clash.startswith("calls.") and clash.endswith(".jsonl")
    assert (inbox_dir / "quarantine" / clash).read_text(encoding="utf-8") == "not json\n"
    assert (
        (inbox_dir / "quarantine" / f"{clash}.reason.txt")
        .read_text(encoding="utf-8")
        .startswith("calls.jsonl line 1: invalid JSON")
    )
    # The first quarantined file and its reason are untouched.
    assert (inbox_dir / "quarantine" / "calls.jsonl").read_text(
        encoding="utf-8"
    ) == '{"caller": "1"}\n'


# ---------------------------------------------------------------- moving and retrying


def test_done_name_clash_gets_a_timestamp_suffix(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox = make_inbox(inbox_dir)
    drop(inbox_dir, "calls.txt", CLAIM_DENIED)
    inbox.process(Collector())
    drop(inbox_dir, "calls.txt", SURRENDER_FEE)
    inbox.process(Collector())
    drop(inbox_dir, "calls.txt", "第三次：理赔被拒")
    inbox.process(Collector())

    names = listing(inbox_dir / "done")
    assert len(names) == 3 and "calls.txt" in names
    contents = {(inbox_dir / "done" / n).read_text(encoding="utf-8") for n in names}
    assert contents == {CLAIM_DENIED, SURRENDER_FEE, "第三次：理赔被拒"}
    for name in names:
        assert name == "calls.txt" or (name.startswith("calls.2") and name.endswith(".txt"))
    assert listing(inbox_dir) == ["done", "quarantine"]


def test_sink_that_raises_leaves_the_file_for_the_next_poll(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox = make_inbox(inbox_dir)
    drop(inbox_dir, "a.jsonl", jsonl({"text": CLAIM_DENIED}, {"text": SURRENDER_FEE}), age=120)
    drop(inbox_dir, "b.txt", "福满堂年金险退保扣费", age=60)
    stored = Collector()

    def flaky(post: Post) -> bool:
        if post.text == SURRENDER_FEE:
            raise OSError("database is locked")
        return stored(post)

    with pytest.raises(InboxSinkError) as caught:
        inbox.process(flaky)

    err = caught.value
    assert [name for name, _ in err.failed] == ["a.jsonl"]
    assert isinstance(err.__cause__, OSError)
    assert "a.jsonl (OSError: database is locked)" in str(err)
    # The failing file stays; the next file was still ingested.
    assert (err.result.files, err.result.posts, err.result.accepted) == (1, 3, 2)
    assert (inbox_dir / "a.jsonl").exists()
    assert listing(inbox_dir / "done") == ["b.txt"]

    result = inbox.process(stored)  # the store is back

    assert (result.files, result.posts, result.accepted) == (1, 2, 1)  # line 1 already stored
    assert listing(inbox_dir / "done") == ["a.jsonl", "b.txt"]
    assert [p.text for p in stored.posts] == [
        CLAIM_DENIED,
        "福满堂年金险退保扣费",
        CLAIM_DENIED,
        SURRENDER_FEE,
    ]


def test_files_still_being_written_wait_for_the_settle_time(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox = make_inbox(inbox_dir, settle_seconds=2.0)
    fresh = drop(inbox_dir, "fresh.jsonl", jsonl({"text": CLAIM_DENIED}), age=0)
    drop(inbox_dir, "old.jsonl", jsonl({"text": SURRENDER_FEE}), age=5)
    sink = Collector()

    result = inbox.process(sink)

    assert (result.files, [p.text for p in sink.posts]) == (1, [SURRENDER_FEE])
    assert fresh.exists()

    then = time.time() - 3
    os.utime(fresh, (then, then))
    assert inbox.process(sink).files == 1
    assert not fresh.exists()


def test_default_settle_time_is_two_seconds(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    source = TranscriptSource(name="hotline", type="transcripts", path=inbox_dir)
    inbox = TranscriptInbox(source, salt=SALT)
    drop(inbox_dir, "just-now.txt", CLAIM_DENIED, age=0.5)
    drop(inbox_dir, "a-while-ago.txt", SURRENDER_FEE, age=2.5)
    inbox.process(Collector())
    assert listing(inbox_dir) == ["done", "just-now.txt", "quarantine"]


def test_hidden_temporary_and_folder_entries_are_left_alone(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, ".calls.jsonl.swx", "editor swap")
    drop(inbox_dir, ".DS_Store", b"\x00\x00")
    drop(inbox_dir, "upload.jsonl.part", '{"text": "半截')
    drop(inbox_dir, "~$导出.csv", b"lock")
    (inbox_dir / "archive").mkdir()
    result = make_inbox(inbox_dir).process(Collector())
    assert (result.files, result.quarantined) == (0, [])
    assert listing(inbox_dir) == [
        ".DS_Store",
        ".calls.jsonl.swx",
        "archive",
        "done",
        "quarantine",
        "upload.jsonl.part",
        "~$导出.csv",
    ]


# ---------------------------------------------------------------- the ingest command


def test_ingest_files_reports_bad_files_and_moves_nothing(tmp_path: Path) -> None:
    good = drop(
        tmp_path / "exports", "good.csv", f"内容,主叫\n{CLAIM_DENIED},13800138000\n".encode("gbk")
    )
    bad = drop(tmp_path / "exports", "bad.jsonl", jsonl({"text": SURRENDER_FEE}) + '{"text": ""}\n')
    other = drop(tmp_path / "exports", "notes.docx", b"PK")
    sink = Collector()

    result = ingest_files(
        [good, str(bad), other, tmp_path / "missing.txt", tmp_path / "exports"],
        sink,
        salt=SALT,
    )

    assert (result.files, result.posts, result.accepted) == (1, 1, 1)
    assert result.quarantined == [
        (str(bad), f'{bad} line 2: field "text": empty; a transcript needs its text'),
        (str(other), f"{other}: unsupported file type .docx; expected .jsonl, .csv or .txt"),
        (str(tmp_path / "missing.txt"), f"{tmp_path / 'missing.txt'}: no such file"),
        (
            str(tmp_path / "exports"),
            f"{tmp_path / 'exports'}: is a folder; name the transcript files",
        ),
    ]
    (post,) = sink.posts
    assert post.source == "ingest"
    # The bare name: ids do not depend on the folder the file is ingested from.
    assert post.id == post_id("ingest", content_id("good.csv#2", "13800138000", None, CLAIM_DENIED))
    assert post.author == hash_author("13800138000", SALT)
    assert listing(tmp_path / "exports") == ["bad.jsonl", "good.csv", "notes.docx"]


def test_ingest_files_uses_source_name_and_timezone(tmp_path: Path) -> None:
    path = drop(
        tmp_path, "c.jsonl", jsonl({"id": "42", "text": CLAIM_DENIED, "time": "2026-11-20 09:00"})
    )
    sink = Collector()
    ingest_files([path], sink, source_name="hotline-bj", salt=SALT, timezone="UTC")
    (post,) = sink.posts
    assert post.id == post_id("hotline-bj", "42")
    assert post.url == "transcript://hotline-bj/c.jsonl#1"
    assert post.published_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_ingest_files_raises_after_the_rest_when_the_sink_fails(tmp_path: Path) -> None:
    a = drop(tmp_path, "a.txt", CLAIM_DENIED)
    b = drop(tmp_path, "b.txt", SURRENDER_FEE)
    stored = Collector()

    def sink(post: Post) -> bool:
        if post.text == CLAIM_DENIED:
            raise RuntimeError("store closed")
        return stored(post)

    with pytest.raises(InboxSinkError) as caught:
        ingest_files([a, b], sink, salt=SALT)
    assert caught.value.result.files == 1
    assert [p.text for p in stored.posts] == [SURRENDER_FEE]
    assert a.exists() and b.exists()


def test_transcript_error_sentence() -> None:
    assert str(TranscriptError("a.csv", 3, "time", "bad")) == 'a.csv line 3: field "time": bad'
    assert str(TranscriptError("a.csv", 3, None, "bad")) == "a.csv line 3: bad"
    assert str(TranscriptError("a.csv", None, None, "file is empty")) == "a.csv: file is empty"
    err = TranscriptError("a.csv", 3, "time", "bad")
    assert (err.file, err.line, err.field, err.message) == ("a.csv", 3, "time", "bad")


def test_a_call_dated_in_the_future_is_a_bad_file(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "calls.jsonl", jsonl({"text": CLAIM_DENIED, "time": "2062-11-20 14:05:00"}))
    sink = Collector()
    result = make_inbox(inbox_dir).process(sink)
    assert sink.posts == []
    [(_, reason)] = result.quarantined
    assert reason.endswith(
        "calls.jsonl line 1: field \"time\": '2062-11-20 14:05:00' is in the future; check the date"
    )
