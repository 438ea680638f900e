"""What ``POST /ingest`` takes: a body of transcript records, checked whole, as posts.

The records are a JSONL transcript file's (``text``, ``id``, ``caller``, ``time``, ``agent``,
``product``, ``duration``; rows with ``speaker`` or ``role`` are utterances joined into calls by
``id``) and pass the same checks (``crawlers.inbox``): a bad record is refused with the
message a file would get, naming its line (or, in a JSON list, its item) and field. The body is
checked whole before anything is stored, so a request is stored entirely or not at all.

JSON as RFC 8259 has it: UTF-8 only (a byte-order mark is ignored). A body in GBK or a
declared ``charset=gbk`` is refused with what to send instead, never guessed at: unlike a file
found in a folder, a request can simply be sent again, right.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from yujing.config import TranscriptSource
from yujing.records import Post

from .inbox import TranscriptError, iter_jsonl_text, layout_of, limits_of, to_post

__all__ = ["JSON_TYPES", "NDJSON_TYPES", "PushRefused", "body_kind", "parse_body"]

SHOWN = "POST /ingest"
# What a call without an id is known by, with its content (the same call sent again is a
# duplicate), and the "file" its post names.
ANCHOR = "push"
JSON_TYPES = ("application/json",)
NDJSON_TYPES = (
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonl",
    "application/jsonlines",
)
_UTF8 = ("utf-8", "utf8")
_TYPES_HINT = (
    "send Content-Type: application/json (one object or a list of objects) or "
    "application/x-ndjson (one object per line), in UTF-8"
)


@dataclass(frozen=True)
class PushRefused(Exception):
    """A request refused whole: ``status`` and a sentence that says what to fix."""

    status: int
    message: str
    line: int | None = None
    item: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        return self.message

    def answer(self) -> dict[str, Any]:
        """The JSON the client is answered with."""
        found = {"line": self.line, "item": self.item, "field": self.field}
        return {"error": self.message, **{k: v for k, v in found.items() if v is not None}}


def body_kind(content_type: str | None) -> str:
    """``json`` or ``ndjson`` by the Content-Type; PushRefused (415) for anything else."""
    mime, _, params = (content_type or "").partition(";")
    mime = mime.strip().lower()
    kind = "json" if mime in JSON_TYPES else "ndjson" if mime in NDJSON_TYPES else None
    if kind is None:
        given = f"Content-Type {mime!r}" if mime else "no Content-Type"
        raise PushRefused(415, f"{SHOWN}: {given}; {_TYPES_HINT}")
    for param in params.split(";"):
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in _UTF8:
            raise PushRefused(415, f"{SHOWN}: charset={charset}; JSON is sent in UTF-8 (RFC 8259)")
    return kind


def parse_body(
    body: bytes,
    content_type: str | None,
    source: TranscriptSource,
    *,
    salt: str,
    timezone: str,
    received: datetime,
) -> list[Post]:
    """Every post of the body, or PushRefused on its first problem (nothing of it is kept).

    ``received`` (UTC) dates calls that carry no time of their own; times written without a
    zone are in the source's ``timezone``, else ``timezone``.
    """
    kind = body_kind(content_type)
    text = _utf8(body)
    try:
        if kind == "json":
            lines, unit = _json_items(text), "item"
        else:
            lines, unit = enumerate(text.split("\n"), 1), "line"
        records = iter_jsonl_text(
            SHOWN,
            lines,
            received,
            ZoneInfo(source.timezone or timezone),
            anchor=ANCHOR,
            limits=limits_of(source),
            layout=layout_of(source),
        )
        posts = [to_post(r, source=source.name, file=ANCHOR, salt=salt) for r in records]
    except TranscriptError as exc:
        raise _refused(exc, unit) from None
    if not posts:
        raise PushRefused(400, f"{SHOWN}: no records in the body; {_TYPES_HINT}")
    return posts


def _utf8(body: bytes) -> str:
    try:
        return body.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        byte = body[exc.start]
        raise PushRefused(
            400,
            f"{SHOWN} line {line}: not UTF-8 (byte 0x{byte:02x} at offset {exc.start}); "
            "JSON is sent in UTF-8 (RFC 8259): convert the body (GBK, GB18030) to UTF-8",
            line=line,
        ) from None


def _json_items(text: str) -> list[tuple[int, str]]:
    """A JSON body's records as (item number, one line of JSON): the JSONL checks then apply
    to each, item by item."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PushRefused(
            400,
            f"{SHOWN} line {exc.lineno}: invalid JSON ({exc.msg}, column {exc.colno}); "
            f"{_TYPES_HINT}",
            line=exc.lineno,
        ) from None
    except (ValueError, RecursionError):
        # A number of thousands of digits (Python's int limit), or nesting thousands deep.
        message = f"{SHOWN}: invalid JSON (a number too long or nesting too deep); {_TYPES_HINT}"
        raise PushRefused(400, message) from None
    items = value if isinstance(value, list) else [value]
    return [(n, json.dumps(item, ensure_ascii=False)) for n, item in enumerate(items, 1)]


def _refused(exc: TranscriptError, unit: str) -> PushRefused:
    """The file's message about its bad records (up to 20), naming the body's lines or the
    list's items; ``line``/``item`` and ``field`` are the first one's."""
    if exc.line is None:
        return PushRefused(400, str(exc), field=exc.field)
    message = f"{SHOWN} {unit} {exc.line}: {_what(exc)}"
    for other in exc.more:
        message += f"; {unit} {other.line}: {_what(other)}"
    if exc.unlisted:
        message += f"; and {exc.unlisted} more bad {unit}s"
    place = {"line": exc.line} if unit == "line" else {"item": exc.line}
    return PushRefused(400, message, field=exc.field, **place)


def _what(exc: TranscriptError) -> str:
    return (f'field "{exc.field}": ' if exc.field else "") + exc.message
