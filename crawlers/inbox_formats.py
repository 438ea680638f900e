"""Reading hotline transcript files: bytes -> text -> validated records.

A file is parsed whole before anything is ingested, so one bad line rejects the file instead of
half-ingesting it. It is read as a stream of lines (``inbox_encoding``), never whole, within the
limits of ``TextLimits``; ``iter_transcripts`` gives its calls one at a time, so a file can be
checked in one pass and stored in a second without being held in memory. Every problem is a ``TranscriptError`` naming the file, the line and the field,
because the people who fix these files are call-centre staff, not programmers.

This module holds the three formats (JSONL, CSV, TXT) and ``parse_transcripts``, the entry point.
The steps they share stand apart: the record and the error in ``inbox_records``, bytes to text in
``inbox_encoding``, the checks of each field in ``inbox_fields``; the names callers import from
here (``Transcript``, ``TranscriptError``, ``content_id``, ``normalise_caller``) still are.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, tzinfo
from pathlib import PurePath
from typing import Any, BinaryIO

from yujing.config import TRANSCRIPT_FIELDS

from .inbox_calls import CallLayout, join_calls
from .inbox_encoding import TextLimits, read_lines
from .inbox_fields import Fields, kind_of, normalise_caller
from .inbox_records import Problems, Transcript, TranscriptError, content_id

__all__ = [
    "CallLayout",
    "EXPECTED_TYPES",
    "SUPPORTED_SUFFIXES",
    "Transcript",
    "check_suffix",
    "TextLimits",
    "TranscriptError",
    "iter_jsonl_text",
    "iter_transcripts",
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
    # One row per utterance (see inbox_calls): who spoke; the call's number is its id.
    "通话编号": "id",
    "通话id": "id",
    "会话编号": "id",
    "会话id": "id",
    "流水号": "id",
    "call_id": "id",
    "speaker": "speaker",
    "role": "speaker",
    "角色": "speaker",
    "说话人": "speaker",
    "发言人": "speaker",
    "发言方": "speaker",
}
assert set(CSV_COLUMNS.values()) == set(TRANSCRIPT_FIELDS)  # one vocabulary with the config

# Keys a .txt file may open with, e.g. "来电号码: 138...\n通话时间: ...\n\n<transcript>".
TXT_HEADER_KEYS = {k: v for k, v in CSV_COLUMNS.items() if v not in ("text", "call", "role")} | {
    "通话时间": "time"
}
_HEADER_LINE = re.compile(r"^([^:：\s]{1,12})\s*[:：]\s*(.*?)\s*$")


# ---------------------------------------------------------------- the three formats


def _parse_jsonl(
    shown: str,
    name: str,
    lines: Iterable[tuple[int, str]],
    mtime: datetime,
    tz: tzinfo,
    layout: CallLayout,
    anchor: str | None = None,
) -> Iterator[Transcript]:
    # Lines end at "\n" only (read_lines): JSON strings may hold U+2028 or U+0085 unescaped.
    utterances: list[tuple[int, dict[str, Any]]] = []
    problems = Problems()
    for number, raw in lines:
        if not raw.strip():
            continue
        fields = Fields(shown, number, JSONL_HINT)
        try:
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                message = f"invalid JSON ({exc.msg}, column {exc.colno}); {JSONL_HINT}"
                raise fields.fail(None, message) from None
            except (ValueError, RecursionError):
                # A number of thousands of digits (Python's int limit), or nesting thousands deep.
                message = f"invalid JSON (a number too long or nesting too deep); {JSONL_HINT}"
                raise fields.fail(None, message) from None
            if not isinstance(obj, dict):
                message = f"expected a JSON object, got {kind_of(obj)}; {JSONL_HINT}"
                raise fields.fail(None, message)
            if "speaker" in obj or "role" in obj:  # one utterance: joined into its call at the end
                obj = {("speaker" if k == "role" else k): v for k, v in obj.items()}
                utterances.append((number, obj))
                continue
            record = fields.record(obj, anchor or f"{name}#{number}", mtime, tz)
        except TranscriptError as exc:
            problems.add(exc)  # the file is bad; its other bad lines are named too
            continue
        if not problems:
            yield record
    problems.raise_any()
    if utterances:
        yield from join_calls(
            utterances, shown=shown, hint=JSONL_HINT, mtime=mtime, tz=tz, layout=layout
        )


def _csv_columns(
    name: str, line: int, header: list[str], layout: CallLayout | None = None
) -> dict[str, int]:
    columns: dict[str, int] = {}
    mapped = layout.columns if layout is not None else {}
    configured = set(mapped.values())
    for index, title in enumerate(header):
        key = mapped.get(title.strip().lower())
        if key is None:
            key = CSV_COLUMNS.get(title.strip().lower())
            if key in configured:
                continue  # the config names another header for this field
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


def _parse_csv(
    shown: str,
    name: str,
    lines: Iterator[tuple[int, str]],
    mtime: datetime,
    tz: tzinfo,
    limits: TextLimits,
    layout: CallLayout,
) -> Iterator[Transcript]:
    first = next(lines, None)
    if first is None:
        return
    first_line = first[1]
    delimiter = "\t" if first_line.count("\t") >= max(1, first_line.count(",")) else ","
    rest = (line for _, line in lines)
    reader = csv.reader(_chain(first_line, rest), delimiter=delimiter, strict=True)
    # A quoted cell may span lines; read_lines bounds one line, this bounds one cell.
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_line_chars))
    problems = Problems()
    rows = _rows_with_start(reader)
    try:
        header = next(((n, c) for n, c in rows if any(cell.strip() for cell in c)), None)
        if header is None:
            return
        number, cells = header
        columns = _csv_columns(shown, number, cells, layout)
        data = _csv_rows(rows, columns, len(cells), shown)
        if "speaker" in columns:  # one row per utterance: joined into calls
            if "id" not in columns:
                raise TranscriptError(
                    shown,
                    number,
                    "id",
                    "rows say who spoke but no column gives the call's number; "
                    "map it in the source's config, e.g. columns: {id: 通话编号}",
                )
            yield from join_calls(
                (_or_raise(row) for row in data),
                shown=shown,
                hint=CSV_HINT,
                mtime=mtime,
                tz=tz,
                layout=layout,
            )
            return
        for row in data:
            try:
                number, values = _or_raise(row)
                record = Fields(shown, number, CSV_HINT).record(
                    values, f"{name}#{number}", mtime, tz
                )
            except TranscriptError as exc:
                problems.add(exc)  # the file is bad; its other bad rows are named too
                continue
            if not problems:
                yield record
    except csv.Error as exc:
        problems.add(TranscriptError(shown, reader.line_num, None, f"malformed CSV ({exc})"))
    problems.raise_any()


def _csv_rows(
    rows: Iterator[tuple[int, list[str]]], columns: dict[str, int], width: int, shown: str
) -> Iterator[tuple[int, dict[str, Any] | TranscriptError]]:
    """(line, values) of the data rows after the header, or (line, the error) for a row whose
    width is not the header's: usually an unquoted separator or newline inside the text, refused
    rather than ingested cut in the wrong place."""
    for number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != width:
            message = f"{len(cells)} values but the header has {width} columns"
            yield number, TranscriptError(shown, number, None, message)
            continue
        yield number, {key: cells[index] for key, index in columns.items()}


def _or_raise(
    row: tuple[int, dict[str, Any] | TranscriptError],
) -> tuple[int, dict[str, Any]]:
    number, values = row
    if isinstance(values, TranscriptError):
        raise values
    return number, values


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _rows_with_start(reader: Any) -> Iterator[tuple[int, list[str]]]:
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


def _read_txt(lines: Iterable[tuple[int, str]], limits: TextLimits) -> tuple[str, int]:
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
    fields = Fields(shown, None, "")
    return fields.record({**values, "text": body}, name, mtime, tz)


def check_suffix(name: str, shown: str | None = None) -> str:
    """The file's lower-cased suffix, or TranscriptError when it is not a transcript type."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        message = f"unsupported file type {suffix or '(none)'}; {EXPECTED_TYPES}"
        raise TranscriptError(shown or name, None, None, message)
    return suffix


def parse_transcripts(
    name: str,
    data: bytes | BinaryIO,
    mtime: datetime,
    tz: tzinfo,
    *,
    shown_as: str | None = None,
    limits: TextLimits | None = None,
    size: int | None = None,
    layout: CallLayout | None = None,
) -> list[Transcript]:
    """Parse a whole file (its bytes, or a binary stream read as it goes) into a list; raises
    TranscriptError naming its bad lines. ``iter_transcripts`` has the details."""
    return list(
        iter_transcripts(
            name, data, mtime, tz, shown_as=shown_as, limits=limits, size=size, layout=layout
        )
    )


def iter_transcripts(
    name: str,
    data: bytes | BinaryIO,
    mtime: datetime,
    tz: tzinfo,
    *,
    shown_as: str | None = None,
    limits: TextLimits | None = None,
    size: int | None = None,
    layout: CallLayout | None = None,
) -> Iterator[Transcript]:
    """The calls of a file, one at a time as it is read; raises TranscriptError once a bad line
    is found in JSONL or CSV rows (after the file is read, naming every bad line up to
    ``MAX_REPORTED``; no call is yielded after the first bad line), at once for a bad header,
    encoding or size.

    ``name`` is the bare file name: ids derive from it, so the same file ingested from another
    folder is still recognised as a duplicate. Messages call the file ``shown_as`` (default
    ``name``). ``mtime`` (UTC) stands in for calls that carry no time of their own. ``size``,
    when known, lets an over-large file be refused before it is read. A call's text over
    ``limits.max_text_chars`` is cut there; the transcript's ``truncated_from`` says how long
    it was.
    """
    shown = shown_as or name
    limits = limits or TextLimits()
    layout = layout or CallLayout()
    suffix = check_suffix(name, shown)
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    lines = read_lines(stream, shown, limits, size=len(data) if isinstance(data, bytes) else size)
    if suffix == ".txt":
        text, length = _read_txt(lines, limits)
        if not text.strip():
            raise TranscriptError(shown, None, None, "file is empty")
        record = _parse_txt(shown, name, text.strip(), mtime, tz)
        yield _truncated(record, limits, length) if length > limits.max_text_chars else record
        return
    if suffix == ".jsonl":
        parsed = _parse_jsonl(shown, name, lines, mtime, tz, layout)
    else:
        parsed = _parse_csv(shown, name, lines, mtime, tz, limits, layout)
    empty = True
    for record in parsed:
        empty = False
        yield _truncated(record, limits)
    if empty:
        raise TranscriptError(shown, None, None, "file is empty")


def iter_jsonl_text(
    shown: str,
    lines: Iterable[tuple[int, str]],
    received: datetime,
    tz: tzinfo,
    *,
    anchor: str,
    limits: TextLimits | None = None,
    layout: CallLayout | None = None,
) -> Iterator[Transcript]:
    """JSONL records already decoded to text, (line number, line) each, as pushed over HTTP:
    the checks of a file's lines, the same messages. ``received`` dates calls without a time.

    A record without an id is known by ``anchor`` and its content, not by its line: the same
    call pushed again (a retry), wherever it stands in the body, is the same post.
    """
    limits = limits or TextLimits()
    layout = layout or CallLayout()
    checked = (_within(shown, number, line, limits) for number, line in lines)
    for record in _parse_jsonl(shown, anchor, checked, received, tz, layout, anchor):
        yield _truncated(record, limits)


def _within(shown: str, number: int, line: str, limits: TextLimits) -> tuple[int, str]:
    if len(line) > limits.max_line_chars:
        message = (
            f"line is {len(line):,} characters, over the limit of {limits.max_line_chars:,} "
            "(max_line_chars)"
        )
        raise TranscriptError(shown, number, None, message)
    return number, line


def _truncated(record: Transcript, limits: TextLimits, length: int | None = None) -> Transcript:
    """``record`` with its text cut at ``max_text_chars``: one call that long is a runaway
    export (a whole day in one cell), and its start is what is worth scoring."""
    length = length if length is not None else len(record.text)
    if length <= limits.max_text_chars and len(record.text) <= limits.max_text_chars:
        return record
    return replace(record, text=record.text[: limits.max_text_chars], truncated_from=length)
