"""The inbox against hostile folders: links out of it, pipes, forged names, odd dates and names.

Anyone who can write to the inbox can put more than transcripts there. Only regular files placed
in it are read; anything else is quarantined with a reason that says what it is and never quotes
what it holds, and every name is shown escaped.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yujing.crawlers.inbox import NotAFile, ingest_files, open_regular

from .test_inbox import CLAIM_DENIED, SALT, Collector, drop, jsonl, listing, make_inbox

# What a system file outside the inbox holds: none of it may be stored, logged or quoted.
SECRET = "root:$6$Zx9secretHASHvalue$Q1w2e3r4:19700:0:99999:7:::\n"
SECRET_MARK = "secretHASH"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "shadow"
    path.parent.mkdir()
    path.write_text(SECRET, encoding="utf-8")
    return path


def everything_said(result, caplog, inbox_dir: Path) -> str:
    """Reasons, log lines and the reason files in quarantine/, in one string to search."""
    reason_files = [
        p.read_text(encoding="utf-8")
        for p in (inbox_dir / "quarantine").glob("*.reason.txt")
        if p.is_file() and not p.is_symlink()
    ]
    return "\n".join(
        [r for _, r in result.quarantined] + [r.getMessage() for r in caplog.records] + reason_files
    )


# ---------------------------------------------------------------- only regular files inside


@pytest.mark.parametrize("name", ["users.txt", "calls.csv", "calls.jsonl"])
def test_a_link_out_of_the_inbox_is_quarantined_unread(
    tmp_path: Path, outside: Path, name: str, caplog
) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    (inbox_dir / name).symlink_to(outside)
    sink = Collector()

    with caplog.at_level(logging.DEBUG, logger="yujing"):
        result = make_inbox(inbox_dir).process(sink)

    assert sink.posts == [], "nothing behind a link becomes a post"
    assert result.quarantined == [
        (
            name,
            f"{name}: a symbolic link, not a file; the inbox reads only files placed in it, "
            "so copy the file in instead of linking to it",
        )
    ]
    assert SECRET_MARK not in everything_said(result, caplog, inbox_dir)
    # The link itself is moved aside; what it pointed to is untouched.
    moved = inbox_dir / "quarantine" / name
    assert moved.is_symlink() and os.readlink(moved) == str(outside)
    assert outside.read_text(encoding="utf-8") == SECRET
    assert listing(inbox_dir) == ["done", "quarantine"]


def test_a_hard_link_to_a_file_outside_is_quarantined_unread(
    tmp_path: Path, outside: Path, caplog
) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    os.link(outside, inbox_dir / "calls.txt")
    sink = Collector()

    with caplog.at_level(logging.DEBUG, logger="yujing"):
        result = make_inbox(inbox_dir).process(sink)

    assert sink.posts == []
    [(name, reason)] = result.quarantined
    assert name == "calls.txt"
    assert reason.startswith("calls.txt: a hard link (2 names for one file)")
    assert SECRET_MARK not in everything_said(result, caplog, inbox_dir)


def test_a_named_pipe_is_quarantined_without_blocking(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    os.mkfifo(inbox_dir / "calls.jsonl")
    drop(inbox_dir, "good.txt", CLAIM_DENIED)
    sink = Collector()

    result = make_inbox(inbox_dir).process(sink)

    assert [p.text for p in sink.posts] == [CLAIM_DENIED], "the good file beside it still counts"
    assert result.quarantined == [
        ("calls.jsonl", "calls.jsonl: a named pipe; only regular files are read")
    ]
    assert listing(inbox_dir / "done") == ["good.txt"]


def test_a_link_swapped_in_after_listing_is_refused_at_open(tmp_path: Path, outside: Path) -> None:
    link = tmp_path / "calls.jsonl"
    link.symlink_to(outside)
    with pytest.raises(NotAFile) as refused:
        open_regular(link)
    assert "symbolic link" in refused.value.reason and SECRET_MARK not in str(refused.value)
    # A file a user names on the command line may be a link; what it leads to is read.
    with open_regular(link, follow=True) as stream:
        assert stream.read().decode() == SECRET


def test_a_link_planted_as_a_reason_file_is_not_written_through(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    (inbox_dir / "quarantine").mkdir(parents=True)
    target = tmp_path / "etc" / "cron-job"
    target.parent.mkdir()
    (inbox_dir / "quarantine" / "bad.jsonl.reason.txt").symlink_to(target)  # dangling
    drop(inbox_dir, "bad.jsonl", "not json\n")

    result = make_inbox(inbox_dir).process(Collector())

    assert len(result.quarantined) == 1
    assert not target.exists(), "nothing is written through a planted link"
    # The bad file went to a free name beside the planted one, with its reason.
    reasons = [
        p
        for p in (inbox_dir / "quarantine").glob("bad.*.reason.txt")
        if not p.is_symlink() and p.name != "bad.jsonl.reason.txt"
    ]
    assert len(reasons) == 1
    assert reasons[0].read_text(encoding="utf-8").startswith("bad.jsonl line 1: invalid JSON")


def test_ingest_refuses_a_device_and_follows_a_named_link(tmp_path: Path) -> None:
    device = tmp_path / "calls.txt"
    device.symlink_to("/dev/zero")  # endless: read whole it would never end
    real = drop(tmp_path / "exports", "real.txt", CLAIM_DENIED)
    link = tmp_path / "today.txt"
    link.symlink_to(real)
    sink = Collector()

    result = ingest_files([device, link], sink, salt=SALT)

    assert result.quarantined == [(str(device), f"{device}: a device; only regular files are read")]
    assert [p.text for p in sink.posts] == [CLAIM_DENIED]


# ---------------------------------------------------------------- names shown escaped


FORGED = "calls\n2026-11-30 12:00:00 ERROR   yujing.daemon: forged\x1b[2K.jsonl"
FORGED_SHOWN = "calls\\n2026-11-30 12:00:00 ERROR   yujing.daemon: forged\\x1b[2K.jsonl"


def test_a_file_name_cannot_forge_a_log_line(tmp_path: Path, caplog) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, FORGED, "not json\n")

    with caplog.at_level(logging.DEBUG, logger="yujing"):
        result = make_inbox(inbox_dir).process(Collector())

    [(name, reason)] = result.quarantined
    assert name == FORGED_SHOWN
    assert reason.startswith(f"{FORGED_SHOWN} line 1: invalid JSON")
    messages = [r.getMessage() for r in caplog.records]
    assert messages and all("\n" not in m and "\x1b" not in m for m in messages)
    assert any(FORGED_SHOWN in m for m in messages)
    [reason_file] = (inbox_dir / "quarantine").glob("*.reason.txt")
    assert reason_file.read_text(encoding="utf-8").count("\n") == 1


def test_a_good_file_with_an_odd_name_is_ingested_and_named_escaped(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "calls\r\n1120.jsonl", jsonl({"id": "c1", "text": CLAIM_DENIED}))
    sink = Collector()

    make_inbox(inbox_dir).process(sink)

    [post] = sink.posts
    assert post.extras["file"] == "calls\\r\\n1120.jsonl"
    assert post.url == "transcript://hotline/calls%0D%0A1120.jsonl#1"
    assert listing(inbox_dir / "done") == ["calls\r\n1120.jsonl"]


# ---------------------------------------------------------------- dates and names


def test_a_file_dated_in_the_future_is_ingested_and_said_so(tmp_path: Path, caplog) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "calls.txt", CLAIM_DENIED, age=-10 * 86400)  # a writer 10 days ahead
    sink = Collector()

    with caplog.at_level(logging.WARNING, logger="yujing.inbox"):
        result = make_inbox(inbox_dir).process(sink)

    assert result.files == 1
    [post] = sink.posts
    # A call without a time of its own is dated by its file, but never after now.
    assert post.published_at <= datetime.now(UTC) + timedelta(seconds=1)
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning.startswith("calls.txt is dated ") and "in the future" in warning


def test_a_future_dated_file_waits_until_it_stops_changing(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    now = [time.time()]
    inbox = make_inbox(inbox_dir, settle_seconds=2.0, clock=lambda: now[0])
    path = drop(inbox_dir, "calls.txt", "安心e生理赔被拒", age=-3600)
    sink = Collector()

    assert inbox.process(sink).files == 0, "first seen: it may still be being written"
    now[0] += 1.5
    path.write_text(CLAIM_DENIED, encoding="utf-8")  # still being written
    later = now[0] + 3600
    os.utime(path, (later, later))
    now[0] += 1.5
    assert inbox.process(sink).files == 0, "it changed since: the wait starts again"
    now[0] += 2.0
    assert inbox.process(sink).files == 1
    assert [p.text for p in sink.posts] == [CLAIM_DENIED]


def test_a_name_starting_with_two_dots_is_ingested(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    drop(inbox_dir, "..calls.txt", CLAIM_DENIED)
    drop(inbox_dir, "...", "三个点")
    drop(inbox_dir, ".calls.txt.Xy12ab", "rsync 的临时文件")
    sink = Collector()

    result = make_inbox(inbox_dir).process(sink)

    assert [p.text for p in sink.posts] == [CLAIM_DENIED]
    assert result.quarantined == [
        ("...", "...: unsupported file type (none); expected .jsonl, .csv or .txt")
    ]
    assert listing(inbox_dir) == [".calls.txt.Xy12ab", "done", "quarantine"]
