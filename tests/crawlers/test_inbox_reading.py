"""Transcript files in the encodings call centres export, and files too big to trust."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path

import pytest

from yujing.config import TranscriptLimits, TranscriptSource
from yujing.crawlers.inbox import (
    InboxSinkError,
    TextLimits,
    TranscriptError,
    TranscriptInbox,
    ingest_files,
    read_lines,
)
from yujing.crawlers.inbox import ingestion as inbox_module
from yujing.records import Post

SALT = "test-salt-0001"
# Traditional Chinese, as a Hong Kong or Taiwan branch's system exports it.
TRADITIONAL = (
    "客戶投保安心醫療險，住院理賠被拒，理由是未如實告知。客戶表示要向金管會投訴，情緒激動。"
)
SIMPLIFIED = (
    "客户投保安心医疗险，住院理赔被拒，理由是未如实告知。客户表示要向银保监投诉，情绪激动。"
)


class Collector:
    def __init__(self) -> None:
        self.posts: list[Post] = []

    def __call__(self, post: Post) -> bool:
        self.posts.append(post)
        return True


def drop(folder: Path, name: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    then = time.time() - 60
    os.utime(path, (then, then))
    return path


def inbox(folder: Path, **limits: float) -> TranscriptInbox:
    source = TranscriptSource(
        name="hotline",
        type="transcripts",
        path=folder,
        limits=TranscriptLimits(**limits),  # type: ignore[arg-type]
    )
    return TranscriptInbox(source, salt=SALT, settle_seconds=0)


def reason(folder: Path, name: str) -> str:
    return (folder / "quarantine" / f"{name}.reason.txt").read_text(encoding="utf-8").strip()


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("big5.csv", f"text,caller\n{TRADITIONAL},13800138000\n".encode("big5")),
        ("big5.txt", f"{TRADITIONAL}\n".encode("big5")),
        (
            "big5.jsonl",
            (json.dumps({"text": TRADITIONAL}, ensure_ascii=False) + "\n").encode("big5"),
        ),
    ],
)
def test_big5_transcripts_are_read_as_big5_not_gb18030(
    tmp_path: Path, name: str, content: bytes
) -> None:
    # GB18030 decodes these bytes too, into nonsense; only Big5 reads them as Chinese.
    sink = Collector()
    drop(tmp_path / "in", name, content)
    result = inbox(tmp_path / "in").process(sink)
    assert result.quarantined == []
    assert [p.text for p in sink.posts] == [TRADITIONAL]


def test_utf16_without_bom_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    drop(folder, "export.csv", f"text,caller\n{SIMPLIFIED},13800138000\n".encode("utf-16-le"))
    sink = Collector()
    assert inbox(folder).process(sink).quarantined == []
    assert [p.text for p in sink.posts] == [SIMPLIFIED]


def test_gbk_without_declaration_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    drop(folder, "call.txt", SIMPLIFIED.encode("gbk"))
    sink = Collector()
    inbox(folder).process(sink)
    assert [p.text for p in sink.posts] == [SIMPLIFIED]


def test_bytes_no_encoding_reads_plausibly_are_quarantined(tmp_path: Path) -> None:
    # Random high bytes: GB18030 "decodes" them, into rare characters; that is not text.
    folder = tmp_path / "in"
    garbage = bytes((0x81 + (i * 37) % 0x7E) for i in range(400))
    drop(folder, "noise.txt", garbage)
    sink = Collector()
    result = inbox(folder).process(sink)
    assert sink.posts == []
    assert result.quarantined[0][0] == "noise.txt"
    assert "cannot tell the text's encoding with confidence" in reason(folder, "noise.txt")
    assert reason(folder, "noise.txt").startswith("noise.txt: ")


def test_a_later_line_in_another_encoding_is_named(tmp_path: Path) -> None:
    # The start decides the encoding; a line appended later by another system in GBK breaks it.
    folder = tmp_path / "in"
    lines = [json.dumps({"text": f"{SIMPLIFIED}{i}"}, ensure_ascii=False) for i in range(3000)]
    content = ("\n".join(lines) + "\n").encode() + json.dumps(
        {"text": SIMPLIFIED}, ensure_ascii=False
    ).encode("gbk")
    drop(folder, "mixed.jsonl", content)
    sink = Collector()
    inbox(folder).process(sink)
    assert sink.posts == []
    assert reason(folder, "mixed.jsonl").startswith("mixed.jsonl line 3001: byte ")
    assert "is not utf-8 text" in reason(folder, "mixed.jsonl")


# ---------------------------------------------------------------- limits


def test_an_enormous_line_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    limits = TextLimits(max_line_chars=1000)
    line = json.dumps({"text": "理赔" * 5_000_000}, ensure_ascii=False).encode()  # 30 MB
    stream = io.BytesIO(line)
    with pytest.raises(TranscriptError) as err:
        list(read_lines(stream, "huge.jsonl", limits))
    assert str(err.value) == (
        "huge.jsonl line 1: line longer than 1,000 characters (the limit max_line_chars); "
        "split it into one record per line, or raise the limit"
    )
    assert stream.tell() < 2 * 1024 * 1024  # stopped near the start, not at the end


def test_an_over_long_line_quarantines_its_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    good = json.dumps({"text": SIMPLIFIED}, ensure_ascii=False)
    huge = json.dumps({"text": "理赔" * 2000}, ensure_ascii=False)
    drop(folder, "calls.jsonl", f"{good}\n{huge}\n".encode())
    sink = Collector()
    inbox(folder, max_line_chars=1000).process(sink)
    assert sink.posts == []
    assert reason(folder, "calls.jsonl").startswith("calls.jsonl line 2: line longer than 1,000")


def test_a_file_over_the_size_limit_is_quarantined_unread(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    drop(folder, "big.csv", b"text\n" + ("理赔被拒\n" * 100_000).encode())
    sink = Collector()
    inbox(folder, max_file_mb=0.5).process(sink)
    assert sink.posts == []
    assert reason(folder, "big.csv") == (
        "big.csv: file is 1,300,005 bytes, over the limit of 524,288 (max_file_bytes); "
        "split it into smaller files, or raise the limit"
    )


def test_an_over_long_text_is_kept_cut_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    text = SIMPLIFIED * 40  # 1,720 characters
    drop(folder, "long.jsonl", (json.dumps({"text": text}, ensure_ascii=False) + "\n").encode())
    drop(folder, "long.txt", text.encode("gbk"))
    sink = Collector()
    result = inbox(folder, max_text_chars=500).process(sink)
    assert result.quarantined == []
    assert [len(p.text) for p in sink.posts] == [500, 500]
    assert all(p.text == text[:500] for p in sink.posts)
    assert [p.extras["truncated_from"] for p in sink.posts] == [len(text), len(text)]


def test_ingest_files_takes_limits_and_reports_the_file(tmp_path: Path) -> None:
    path = drop(tmp_path, "calls.jsonl", ("x" * 5000 + "\n").encode())
    result = ingest_files([path], Collector(), salt=SALT, limits=TextLimits(max_line_chars=100))
    assert result.quarantined == [
        (
            str(path),
            f"{path} line 1: line longer than 100 characters (the limit max_line_chars); "
            "split it into one record per line, or raise the limit",
        )
    ]


# ---------------------------------------------------------------- two passes


@pytest.mark.parametrize("kept", [True, False], ids=["read-once", "read-twice"])
def test_a_file_that_changes_while_stored_stays_for_the_next_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    # The file is checked whole, then its posts stored (from the records kept, or read again
    # when it is large); one that changed in between is not moved to done with part of it
    # never stored.
    if not kept:
        monkeypatch.setattr(inbox_module, "READ_ONCE_BYTES", 10)
    folder = tmp_path / "in"
    line = (json.dumps({"text": SIMPLIFIED}, ensure_ascii=False) + "\n").encode()
    path = drop(folder, "calls.jsonl", line * 3)
    seen: list[str] = []

    class Appending(Collector):
        def __call__(self, post: Post) -> bool:
            if not seen:
                with path.open("ab") as f:  # the call centre's system adds a late call
                    f.write(json.dumps({"text": "迟到的一通电话"}, ensure_ascii=False).encode())
            seen.append(post.text)
            return True

    with pytest.raises(InboxSinkError) as err:
        inbox(folder).process(Appending())
    assert "calls.jsonl changed while it was being stored" in str(err.value)
    assert path.exists(), "kept in the inbox"
    sink = Collector()
    assert inbox(folder).process(sink).files == 1
    assert [p.text for p in sink.posts][-1] == "迟到的一通电话"


@pytest.mark.parametrize(("limit", "parses"), [(2**20, 1), (100, 2)])
def test_a_small_file_is_parsed_once_a_large_one_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, parses: int
) -> None:
    monkeypatch.setattr(inbox_module, "READ_ONCE_BYTES", limit)
    reads: list[str] = []
    real = inbox_module.iter_transcripts

    def counting(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(inbox_module, "iter_transcripts", counting)
    line = (json.dumps({"text": SIMPLIFIED}, ensure_ascii=False) + "\n").encode()
    path = drop(tmp_path, "calls.jsonl", line * 5)
    assert path.stat().st_size > 100
    sink = Collector()
    result = ingest_files([path], sink, salt=SALT)
    assert (result.files, result.posts) == (1, 5)
    assert [p.text for p in sink.posts] == [SIMPLIFIED] * 5
    assert reads == ["calls.jsonl"] * parses


def test_a_pipe_is_read_once_and_ingested(tmp_path: Path) -> None:
    fifo = tmp_path / "calls.jsonl"
    os.mkfifo(fifo)
    content = (json.dumps({"text": SIMPLIFIED}, ensure_ascii=False) + "\n").encode("gbk") * 2

    def write() -> None:
        with fifo.open("wb") as f:
            f.write(content)

    writer = threading.Thread(target=write)
    writer.start()
    sink = Collector()
    result = ingest_files([fifo], sink, salt=SALT)
    writer.join()
    assert (result.files, result.posts) == (1, 2)
    assert [p.text for p in sink.posts] == [SIMPLIFIED, SIMPLIFIED]
