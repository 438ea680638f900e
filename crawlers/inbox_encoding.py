"""Bytes to text for transcript files, streamed, with limits.

Apart because it is the one step that looks at bytes: what comes out is lines of text, whatever
the format, and a file that is not text (or not text we can read with confidence) is refused
before any format is tried. The encoding is chosen by ``crawlers.decoding`` from the start of
the file (UTF-8, GBK/GB18030, Big5, UTF-16 with or without a byte-order mark); the rest is
decoded strictly as it is read, so a file is never held whole in memory and one enormous line
is refused after ``max_line_chars`` characters instead of being read to its end.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .decoding import SAMPLE_BYTES, UndecodableError, detect_encoding
from .inbox_records import TranscriptError

__all__ = ["TextLimits", "read_lines"]

CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class TextLimits:
    """How big a transcript file, one of its lines and one call's text may be.

    The defaults are safe for a daemon on a small machine: a file over ``max_file_bytes`` or a
    line over ``max_line_chars`` is quarantined with the reason; a call's text over
    ``max_text_chars`` is kept, truncated, with a note in the post's extras.
    """

    max_file_bytes: int = 256 * 1024 * 1024
    max_line_chars: int = 1_000_000
    max_text_chars: int = 100_000


def read_lines(
    stream: BinaryIO, shown: str, limits: TextLimits, *, size: int | None = None
) -> Iterator[tuple[int, str]]:
    """(line number, line with its "\\n") for each line of ``stream``; raises TranscriptError.

    Lines end at "\\n" only, never at U+2028 or U+0085, which JSON strings may hold unescaped.
    ``size``: the file's size when known, checked before anything is read.
    """
    if size is not None and size > limits.max_file_bytes:
        raise TranscriptError(shown, None, None, _too_big(size, limits))
    head = stream.read(SAMPLE_BYTES)
    if not head.strip() and len(head) < SAMPLE_BYTES:
        # Whitespace-only and empty files; a UTF-16 file of spaces is caught after decoding.
        raise TranscriptError(shown, None, None, "file is empty")
    try:
        encoding = detect_encoding(head, where=shown, final=len(head) < SAMPLE_BYTES)
    except UndecodableError as exc:
        # NUL decodes in UTF-8 but text has none: a binary file (UTF-16 was tried, and failed).
        message = (
            "not a text file (it contains NUL bytes)"
            if b"\x00" in head and _utf8_start(head)
            else str(exc).removeprefix(f"{shown}: ")
        )
        raise TranscriptError(shown, None, None, message) from None
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    number, pending, total = 1, "", 0
    chunk, first = head, True
    while True:
        total += len(chunk)
        if total > limits.max_file_bytes:  # grown while being read, or no size was given
            raise TranscriptError(shown, None, None, _too_big(total, limits))
        final = not chunk
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            # exc.object starts where the decoder's last whole character ended.
            before = exc.object[: exc.start].decode(encoding, errors="replace")
            line = number + pending.count("\n") + before.count("\n")
            message = (
                f"byte {exc.object[exc.start]:#04x} is not {encoding} text, the encoding the "
                "start of the file is in; save the file as UTF-8"
            )
            raise TranscriptError(shown, line, None, message) from None
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        pending += text
        lines = pending.split("\n")
        pending = lines.pop()
        for line in lines:
            _check_line(line, number, shown, limits)
            yield number, line + "\n"
            number += 1
        _check_line(pending, number, shown, limits)
        if final:
            break
        chunk = stream.read(CHUNK_BYTES)
    if pending:
        yield number, pending


def _utf8_start(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return False
    return True


def _check_line(line: str, number: int, shown: str, limits: TextLimits) -> None:
    if len(line) > limits.max_line_chars:
        message = (
            f"line longer than {limits.max_line_chars:,} characters (the limit "
            "max_line_chars); split it into one record per line, or raise the limit"
        )
        raise TranscriptError(shown, number, None, message)
    if "\x00" in line:
        # NUL decodes fine in every candidate encoding but means a binary file.
        raise TranscriptError(shown, number, None, "not a text file (it contains NUL bytes)")


def _too_big(size: int, limits: TextLimits) -> str:
    return (
        f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} "
        "(max_file_bytes); split it into smaller files, or raise the limit"
    )
