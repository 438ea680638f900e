"""Field values of one transcript record: text, ids, caller, time, duration, checked one by one.

The same checks serve all three formats (a JSONL object, a CSV row, a .txt header), so they are
apart from the formats: each format only finds the values, and ``Fields`` turns them into a
``Transcript`` or a ``TranscriptError`` naming the file, the line and the field.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from .records import Transcript, TranscriptError, content_id

__all__ = ["Fields", "MAX_AHEAD", "TIME_HINT", "kind_of", "normalise_caller"]

TIME_HINT = "use ISO 8601 like 2026-11-20T14:05:00+08:00, or 2026-11-20 14:05:00 (local time)"

# Formats seen in Chinese exports that fromisoformat() does not read.
_EXTRA_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
_PHONE = re.compile(r"^[\d\s()+\-]+$")

MAX_AHEAD = timedelta(days=1)  # clocks drift and zones get mixed up, years are mistyped


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


def kind_of(value: Any) -> str:
    """What a value is, in the words a message uses (a JSON value's kind)."""
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


class Fields:
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
            raise self.fail("text", f"expected a string, got {kind_of(value)}")
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
            raise self.fail(field, f"expected {expected}, got {kind_of(value)}")
        return value.strip() or None

    def time(self, value: Any, default: datetime, tz: tzinfo) -> datetime:
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if not isinstance(value, str):
            raise self.fail("time", f"expected a string, got {kind_of(value)}; {TIME_HINT}")
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
        own = self.label("id", values.get("id"))
        native = own or content_id(native_default, caller, values.get("time"), text)
        return Transcript(
            text=text,
            native_id=native,
            call_id=own,
            line=self.line,
            published_at=published,
            caller=caller,
            agent=self.label("agent", values.get("agent")),
            product=self.label("product", values.get("product"), numbers=False),
            duration=self.duration(values.get("duration")),
        )
