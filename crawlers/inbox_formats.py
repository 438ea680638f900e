"""Reading hotline transcript files: bytes -> text -> validated records.

A file is parsed whole before anything is ingested, so one bad line rejects the file instead of
half-ingesting it. Every problem is a ``TranscriptError`` naming the file, the line and the field,
because the people who fix these files are call-centre staff, not programmers.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import PurePath
from typing import Any

__all__ = [
    "EXPECTED_TYPES",
    "SUPPORTED_SUFFIXES",
    "Transcript",
    "check_suffix",
    "TranscriptError",
    "decode_bytes",
    "normalise_caller",
    "parse_transcripts",
]

SUPPORTED_SUFFIXES = (".jsonl", ".csv", ".txt")
EXPECTED_TYPES = "expected .jsonl, .csv or .txt"

JSONL_HINT = (
    'each line must be a JSON object with "text" '
    '(and optionally "id", "caller", "time", "agent", "product")'
)
CSV_HINT = (
    "the first row must name the columns, e.g. text,caller,time "
    "(or 内容,来电号码,时间), separated by commas or tabs"
)
TIME_HINT = "use ISO 8601 like 2026-11-20T14:05:00+08:00, or 2026-11-20 14:05:00 (local time)"

# Column names as call-centre systems export them; English names are matched case-insensitively.
CSV_COLUMNS = {
    "text": "text",
    "内容": "text",
    "文本": "text",
    "id": "id",
    "编号": "id",
    "caller": "caller",
    "来电号码": "caller",
    "主叫": "caller",
    "time": "time",
    "时间": "time",
    "来电时间": "time",
    "agent": "agent",
    "坐席": "agent",
    "product": "product",
    "产品": "product",
    "duration": "duration",
    "通话时长": "duration",
}

# Formats seen in Chinese exports that fromisoformat() does not read.
_EXTRA_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
_PHONE = re.compile(r"^[\d\s()+\-]+$")

# Keys a .txt file may open with, e.g. "来电号码: 138...\n通话时间: ...\n\n<transcript>".
TXT_HEADER_KEYS = {k: v for k, v in CSV_COLUMNS.items() if v != "text"} | {"通话时间": "time"}
_HEADER_LINE = re.compile(r"^([^:：\s]{1,12})\s*[:：]\s*(.*?)\s*$")


class TranscriptError(ValueError):
    """A transcript file that cannot be ingested; ``str()`` is the sentence shown to people."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str):
        super().__init__(file, line, field, message)
        self.file = file
        self.line = line
        self.field = field
        self.message = message

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file} line {self.line}"
        what = f'field "{self.field}": ' if self.field else ""
        return f"{where}: {what}{self.message}"


@dataclass(frozen=True, slots=True)
class Transcript:
    """One call, validated, before it becomes a Post."""

    text: str
    native_id: str
    line: int | None
    published_at: datetime  # UTC
    caller: str | None = None
    agent: str | None = None
    product: str | None = None
    duration: float | int | None = None


MAX_AHEAD = timedelta(days=1)  # clocks drift and zones get mixed up, years are mistyped


def content_id(where: str, caller: str | None, time: Any, text: str) -> str:
    """A native id for a call that came without one: its place plus a digest of its content."""
    digest = hashlib.sha1(f"{caller}\x00{time}\x00{text}".encode()).hexdigest()
    return f"{where}@{digest[:12]}"


# ---------------------------------------------------------------- bytes to text


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else GB18030, which is a superset of GBK and GB2312.

    Trying UTF-8 first is safe: GBK text is practically never valid UTF-8, while the reverse
    (reading UTF-8 as GB18030) often "succeeds" with garbage.
    """
    # Windows "Unicode" exports are UTF-16 with a BOM; without this they would be rejected below.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TranscriptError(name, None, None, f"broken UTF-16 text ({exc.reason})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise TranscriptError(
                name,
                None,
                None,
                f"not readable text: byte {data[utf8_error.start]:#04x} at offset "
                f"{utf8_error.start} is neither UTF-8 nor GBK/GB18030; save the file as UTF-8",
            ) from None
    text = text.removeprefix("\ufeff")  # a GB18030 BOM decodes to U+FEFF
    if "\x00" in text:
        # NUL decodes fine in both encodings but means a binary file (or UTF-16 without BOM).
        raise TranscriptError(name, None, None, "not a text file (it contains NUL bytes)")
    return text


# ---------------------------------------------------------------- field values


def normalise_caller(raw: str) -> str:
    """One caller, one hash: +86 138-0013-8000 and 13800138000 are the same person."""
    raw = raw.strip()
    if not _PHONE.match(raw):
        return raw
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or raw


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "string"


class _Fields:
    """Validates one record's fields; errors carry the file and line."""

    def __init__(self, name: str, line: int | None, hint: str):
        self.name = name
        self.line = line
        self.hint = hint

    def fail(self, field: str | None, message: str) -> TranscriptError:
        return TranscriptError(self.name, self.line, field, message)

    def text(self, value: Any) -> str:
        if value is None:
            raise self.fail("text", f"missing; {self.hint}")
        if not isinstance(value, str):
            raise self.fail("text", f"expected a string, got {_kind(value)}")
        if not value.strip():
            raise self.fail("text", "empty; a transcript needs its text")
        return value.strip()

    def label(self, field: str, value: Any, *, numbers: bool = True) -> str | None:
        """An optional short string; ids, phone numbers and agent numbers may come as integers."""
        if value is None:
            return None
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            expected = "a string or an integer" if numbers else "a string"
            raise self.fail(field, f"expected {expected}, got {_kind(value)}")
        return value.strip() or None

    def time(self, value: Any, default: datetime, tz: tzinfo) -> datetime:
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if not isinstance(value, str):
            raise self.fail("time", f"expected a string, got {_kind(value)}; {TIME_HINT}")
        raw = value.strip()
        dt: datetime | None = None
        try:
            dt = datetime.fromisoformat(raw)
        except ValueError:
            for fmt in _EXTRA_TIME_FORMATS:
                try:
                    dt = datetime.strptime(raw, fmt)
                    break
                except ValueError:
                    continue
        if dt is None:
            raise self.fail("time", f"{raw!r} is not a time; {TIME_HINT}")
        # A naive time was written by the call centre's clock, i.e. in local time.
        at = (dt.replace(tzinfo=tz) if dt.tzinfo is None else dt).astimezone(UTC)
        if at - datetime.now(UTC) > MAX_AHEAD:
            # A call cannot come from the future: a mistyped year would count in a window that
            # has not begun and skew the product's counts until then.
            raise self.fail("time", f"{raw!r} is in the future; check the date")
        return at

    def duration(self, value: Any) -> float | int | None:
        """Seconds, as a number, "95", or a clock like "1:35" / "0:01:35"."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        seconds: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = float(value)
        elif isinstance(value, str):
            raw = value.strip()
            clock = _CLOCK.match(raw)
            if clock:
                h, m, s = (int(g) if g else 0 for g in clock.groups())
                seconds = float(h * 3600 + m * 60 + s)
            else:
                try:
                    seconds = float(raw)
                except ValueError:
                    seconds = None
        if seconds is None or seconds < 0 or not math.isfinite(seconds):
            raise self.fail("duration", f"expected seconds or a clock like 1:35, got {value!r}")
        return int(seconds) if seconds.is_integer() else seconds

    def record(
        self, values: dict[str, Any], native_default: str, mtime: datetime, tz: tzinfo
    ) -> Transcript:
        text = self.text(values.get("text"))
        published = self.time(values.get("time"), mtime, tz)
        caller = self.label("caller", values.get("caller"))
        # Without an id of its own, a call is known by where it was and what it says: exports
        # reuse file names (calls.jsonl every day), and name#line alone would call a new day's
        # calls duplicates of the first day's.
        # The time as written, not the file-date fallback: the same file dropped again is the
        # same calls.
        native = self.label("id", values.get("id")) or content_id(
            native_default, caller, values.get("time"), text
        )
        return Transcript(
            text=text,
            native_id=native,
            line=self.line,
            published_at=published,
            caller=caller,
            agent=self.label("agent", values.get("agent")),
            product=self.label("product", values.get("product"), numbers=False),
            duration=self.duration(values.get("duration")),
        )


# ---------------------------------------------------------------- the three formats


def _parse_jsonl(shown: str, name: str, text: str, mtime: datetime, tz: tzinfo) -> list[Transcript]:
    out = []
    # split("\n"), not splitlines(): JSON strings may hold U+2028 or U+0085 unescaped.
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        fields = _Fields(shown, number, JSONL_HINT)
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            message = f"invalid JSON ({exc.msg}, column {exc.colno}); {JSONL_HINT}"
            raise fields.fail(None, message) from None
        if not isinstance(obj, dict):
            raise fields.fail(None, f"expected a JSON object, got {_kind(obj)}; {JSONL_HINT}")
        out.append(fields.record(obj, f"{name}#{number}", mtime, tz))
    return out


def _csv_columns(name: str, line: int, header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        key = CSV_COLUMNS.get(title.strip().lower())
        if key is None:
            continue  # exports carry many columns we do not need
        if key in columns:
            first = header[columns[key]].strip()
            message = f"two columns mean {key}: {first!r} and {title.strip()!r}; keep one"
            raise TranscriptError(name, line, key, message)
        columns[key] = index
    if "text" not in columns:
        found = ", ".join(repr(h.strip()) for h in header)
        raise TranscriptError(
            name, line, "text", f"no text column in the header (found {found}); {CSV_HINT}"
        )
    return columns


def _parse_csv(shown: str, name: str, text: str, mtime: datetime, tz: tzinfo) -> list[Transcript]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") >= max(1, first_line.count(",")) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out: list[Transcript] = []
    columns: dict[str, int] | None = None
    width = 0
    try:
        for row in _rows_with_start(reader):
            number, cells = row
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns = _csv_columns(shown, number, cells)
                width = len(cells)
                continue
            if len(cells) != width:
                # Usually an unquoted separator or newline inside the text: refuse rather than
                # ingest text cut in the wrong place.
                raise TranscriptError(
                    shown, number, None, f"{len(cells)} values but the header has {width} columns"
                )
            values = {key: cells[index] for key, index in columns.items()}
            fields = _Fields(shown, number, CSV_HINT)
            out.append(fields.record(values, f"{name}#{number}", mtime, tz))
    except csv.Error as exc:
        raise TranscriptError(shown, reader.line_num, None, f"malformed CSV ({exc})") from None
    return out


def _rows_with_start(reader: Any) -> Any:
    """Yield (first line of the record, cells); a quoted cell may span several lines."""
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


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


def _parse_txt(shown: str, name: str, text: str, mtime: datetime, tz: tzinfo) -> Transcript:
    """One call per file; its name is the id. A header's caller is hashed like any other, which
    also keeps the raw phone number out of the stored text."""
    text = text.replace("\r\n", "\n")
    header = _txt_header(text)
    if header is None:
        return Transcript(
            text=text, native_id=content_id(name, None, None, text), line=None, published_at=mtime
        )
    values, body = header
    fields = _Fields(shown, None, "")
    return fields.record({**values, "text": body}, name, mtime, tz)


def check_suffix(name: str, shown: str | None = None) -> str:
    """The file's lower-cased suffix, or TranscriptError when it is not a transcript type."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        message = f"unsupported file type {suffix or '(none)'}; {EXPECTED_TYPES}"
        raise TranscriptError(shown or name, None, None, message)
    return suffix


def parse_transcripts(
    name: str, data: bytes, mtime: datetime, tz: tzinfo, *, shown_as: str | None = None
) -> list[Transcript]:
    """Parse a whole file; raises TranscriptError on the first problem.

    ``name`` is the bare file name: ids derive from it, so the same file ingested from another
    folder is still recognised as a duplicate. Messages call the file ``shown_as`` (default
    ``name``). ``mtime`` (UTC) stands in for calls that carry no time of their own.
    """
    shown = shown_as or name
    suffix = check_suffix(name, shown)
    if not data.strip():
        raise TranscriptError(shown, None, None, "file is empty")
    text = decode_bytes(data, shown)
    if not text.strip():
        raise TranscriptError(shown, None, None, "file is empty")
    if suffix == ".jsonl":
        return _parse_jsonl(shown, name, text, mtime, tz)
    if suffix == ".csv":
        return _parse_csv(shown, name, text, mtime, tz)
    return [_parse_txt(shown, name, text.strip(), mtime, tz)]
