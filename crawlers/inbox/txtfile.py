"""Plain-text transcripts: one call per file, its name the id, optionally opening with a block of
"key: value" lines (来电号码, 通话时间...) before the text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, tzinfo

from .csvfile import CSV_COLUMNS
from .encoding import TextLimits
from .fields import Fields
from .records import Transcript, content_id

__all__ = ["read_txt", "parse_txt"]

# Keys a .txt file may open with, e.g. "来电号码: 138...\n通话时间: ...\n\n<transcript>".
TXT_HEADER_KEYS = {k: v for k, v in CSV_COLUMNS.items() if v not in ("text", "call", "role")} | {
    "通话时间": "time"
}
_HEADER_LINE = re.compile(r"^([^:：\s]{1,12})\s*[:：]\s*(.*?)\s*$")


def _txt_header(text: str) -> tuple[dict[str, str], str] | None:
    """The leading "key: value" block of a .txt transcript and the text after it, if it has one.

    Transcripts are often dialogues ("坐席：您好"), so a block counts as a header only when every
    line is a known key, no key repeats, it names the caller or the time, and a blank line
    separates it from a non-empty text.
    """
    head, sep, body = text.partition("\n\n")
    lines = head.splitlines()
    if not sep or not body.strip() or len(lines) > len(TXT_HEADER_KEYS):
        return None
    values: dict[str, str] = {}
    for line in lines:
        m = _HEADER_LINE.match(line.strip())
        key = TXT_HEADER_KEYS.get(m.group(1).lower()) if m else None
        if m is None or key is None or key in values:
            return None
        values[key] = m.group(2)
    if "caller" not in values and "time" not in values:
        return None
    return values, body.strip()


def read_txt(lines: Iterable[tuple[int, str]], limits: TextLimits) -> tuple[str, int]:
    """The text of a .txt file, at most about ``max_text_chars`` of it, and its full length.

    Reading stops keeping text past the limit but still reads (and so checks) the rest.
    """
    parts: list[str] = []
    kept = length = 0
    for _, line in lines:
        length += len(line)
        if kept <= limits.max_text_chars:
            parts.append(line)
            kept += len(line)
    return "".join(parts), length


def parse_txt(shown: str, name: str, text: str, mtime: datetime, tz: tzinfo) -> Transcript:
    """One call per file; its name is the id. A header's caller is hashed like any other, which
    also keeps the raw phone number out of the stored text."""
    text = text.replace("\r\n", "\n")
    header = _txt_header(text)
    if header is None:
        return Transcript(
            text=text, native_id=content_id(name, None, None, text), line=None, published_at=mtime
        )
    values, body = header
    fields = Fields(shown, None, "")
    return fields.record({**values, "text": body}, name, mtime, tz)
