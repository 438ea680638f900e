"""The command's log lines: one event per line, nothing personal, whoever logged it."""

from __future__ import annotations

import io
import logging
from zoneinfo import ZoneInfo

import pytest

from yujing.app.logs import SafeFormatter
from yujing.detector.redact import Redactor


@pytest.fixture
def log() -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(SafeFormatter(ZoneInfo("Asia/Shanghai"), Redactor([r"P\d{12}"])))
    logger = logging.getLogger("test.safe-formatter")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, out


def test_a_name_with_a_newline_cannot_start_a_line(log) -> None:
    logger, out = log
    name = "calls\n2026-11-30 12:00:00 ERROR   yujing.daemon: forged\x1b[31m.jsonl"
    logger.warning("quarantined %s", name)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("WARNING test.safe-formatter: quarantined calls")
    # The rest of the name goes on an indented line, its escape shown, not obeyed.
    assert lines[1] == "    2026-11-30 12:00:00 ERROR   yujing.daemon: forged\\x1b[31m.jsonl"


def test_personal_numbers_in_messages_urls_and_tracebacks_are_redacted(log) -> None:
    logger, out = log
    logger.debug("Crawled (200) <GET http://bbs.example.cn/t/1?tel=%2B86+139+1234+5678&x=1>")
    logger.info("file 20261130_139.1234.5678_P202611300017.txt from 张三@example.com")
    try:
        raise ValueError("bad caller 13912345678")
    except ValueError:
        logger.exception("failed")
    text = out.getvalue()
    for raw in ("13912345678", "1234+5678", "1234.5678", "P2026", "example.com", "%2B86"):
        assert raw not in text, raw
    assert "tel=%5B%E6%89%8B%E6%9C%BA%E5%8F%B7%5D&x=1" in text
    assert "file 20261130_[手机号]_[保单号].txt from [邮箱]" in text
    assert "    ValueError: bad caller [手机号]" in text  # the traceback, indented
    assert "Traceback (most recent call last):" in text
