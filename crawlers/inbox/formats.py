"""Reading hotline transcript files: bytes -> text -> validated records.

A file is parsed whole before anything is ingested, so one bad line rejects the file instead of
half-ingesting it. It is read as a stream of lines (``encoding``), never whole, within the
limits of ``TextLimits``; ``iter_transcripts`` gives its calls one at a time, so a file can be
checked in one pass and stored in a second without being held in memory. Every problem is a ``TranscriptError`` naming the file, the line and the field,
because the people who fix these files are call-centre staff, not programmers.

This module holds the three formats (JSONL, CSV, TXT) and ``parse_transcripts``, the entry point.
The steps they share stand apart: the record and the error in ``records``, bytes to text in
``encoding``, the checks of each field in ``fields``; the names callers import from
here (``Transcript``, ``TranscriptError``, ``content_id``, ``normalise_caller``) still are.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, tzinfo
from pathlib import PurePath
from typing import Any, BinaryIO

from .calls import CallLayout, join_calls
from .csvfile import parse_csv
from .encoding import TextLimits, read_lines
from .fields import Fields, kind_of, normalise_caller
from .records import Problems, Transcript, TranscriptError
from .txtfile import parse_txt, read_txt

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
        text, length = read_txt(lines, limits)
        if not text.strip():
            raise TranscriptError(shown, None, None, "file is empty")
        record = parse_txt(shown, name, text.strip(), mtime, tz)
        yield _truncated(record, limits, length) if length > limits.max_text_chars else record
        return
    if suffix == ".jsonl":
        parsed = _parse_jsonl(shown, name, lines, mtime, tz, layout)
    else:
        parsed = parse_csv(shown, name, lines, mtime, tz, limits, layout)
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
