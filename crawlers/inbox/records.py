"""What a transcript file yields, and how it fails: ``Transcript``, ``TranscriptError``.

Apart from the reading so that every step of it (decoding, field checks, the three formats) and the
inbox itself share one record and one error without importing each other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["MAX_REPORTED", "Problems", "Transcript", "TranscriptError", "content_id"]


class TranscriptError(ValueError):
    """A transcript file that cannot be ingested; ``str()`` is the sentence shown to people."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str):
        super().__init__(file, line, field, message)
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        # The file's other bad lines (at most ``MAX_REPORTED`` in all), and how many more:
        # whoever fixes the export fixes them in one go rather than one per attempt.
        self.more: tuple[TranscriptError, ...] = ()
        self.unlisted = 0

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file} line {self.line}"
        text = f"{where}: {self._what()}"
        for other in self.more:
            text += f"; line {other.line}: {other._what()}"
        if self.unlisted:
            text += f"; and {self.unlisted} more bad lines"
        return text

    def _what(self) -> str:
        return (f'field "{self.field}": ' if self.field else "") + self.message


MAX_REPORTED = 20


class Problems:
    """The bad lines of one file, gathered while the rest is read: raised together at the end."""

    def __init__(self) -> None:
        self.found: list[TranscriptError] = []
        self.count = 0

    def add(self, error: TranscriptError) -> None:
        self.count += 1
        if len(self.found) < MAX_REPORTED:
            self.found.append(error)

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_any(self) -> None:
        if not self.found:
            return
        first, *rest = self.found
        first.more = tuple(rest)
        first.unlisted = self.count - len(self.found)
        raise first


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
    truncated_from: int | None = None  # the text's length before it was cut at the limit
    call_id: str | None = None  # the call centre's own id, when the export gives one


def content_id(where: str, caller: str | None, time: Any, text: str) -> str:
    """A native id for a call that came without one: its place plus a digest of its content."""
    digest = hashlib.sha1(f"{caller}\x00{time}\x00{text}".encode()).hexdigest()
    return f"{where}@{digest[:12]}"
