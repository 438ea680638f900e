"""Bytes to text for transcript files, streamed, with limits.

Apart because it is the one step that looks at bytes: what comes out is lines of text, whatever
the format, and a file that is not text (or not text we can read with confidence) is refused
before any format is tried. ``crawlers.decoding`` chooses the encoding from the start of the
file (UTF-8, GBK/GB18030, Big5, UTF-16 with or without a byte-order mark) and decodes the rest
strictly as it is read, so a file is never held whole in memory, and one enormous line is
refused after ``max_line_chars`` characters instead of being read to its end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..decoding import UndecodableError, iter_lines
from .records import TranscriptError

__all__ = ["TextLimits", "read_lines"]


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

    ``size``: the file's size when known, checked before anything is read.
    """
    if size is not None and size > limits.max_file_bytes:
        raise TranscriptError(shown, None, None, _too_big(size, limits))
    capped = _Capped(stream, shown, limits)
    try:
        for number, line in iter_lines(capped, where=shown, max_line_chars=limits.max_line_chars):
            if "\x00" in line:
                # NUL decodes in every candidate encoding, but text has none: a binary file.
                message = "not a text file (it contains NUL bytes)"
                raise TranscriptError(shown, number, None, message)
            yield number, line
    except UndecodableError as exc:
        raise TranscriptError(shown, exc.line, None, exc.reason) from None


class _Capped:
    """A stream that refuses to be read past ``max_file_bytes`` (a file still growing, or
    one whose size was not known up front)."""

    def __init__(self, stream: BinaryIO, shown: str, limits: TextLimits):
        self.stream = stream
        self.shown = shown
        self.limits = limits
        self.total = 0

    def read(self, n: int) -> bytes:
        data = self.stream.read(n)
        self.total += len(data)
        if self.total > self.limits.max_file_bytes:
            raise TranscriptError(self.shown, None, None, _too_big(self.total, self.limits))
        return data


def _too_big(size: int, limits: TextLimits) -> str:
    return (
        f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} "
        "(max_file_bytes); split it into smaller files, or raise the limit"
    )
