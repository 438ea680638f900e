"""CSV (or tab-separated) transcript exports: a header row names the columns (as call-centre systems
export them, English or Chinese, or as the source's config maps them), then one call per row, or one
utterance per row joined into calls."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo
from typing import Any

from yujing.config import TRANSCRIPT_FIELDS

from .calls import CallLayout, join_calls
from .encoding import TextLimits
from .fields import Fields
from .records import Problems, Transcript, TranscriptError

__all__ = ["CSV_COLUMNS", "CSV_HINT", "parse_csv"]

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
    # One row per utterance (see calls): who spoke; the call's number is its id.
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


def parse_csv(
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
