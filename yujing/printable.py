"""Untrusted names made safe to show: file names, URLs and strings a source handed us.

A file name may hold a newline, a carriage return or a terminal escape; written as it is into a
log, a quarantine reason or ``yujing status`` it would forge a line or rewrite the screen. So
such strings are shown the way Python's ``repr`` shows them: every character that is not
printable becomes an escape (``\\n``, ``\\x1b``, ``\\u202e``), and a backslash is doubled so an
escape can never be faked either. Chinese and other printable text stays as it is.
"""

from __future__ import annotations

__all__ = ["printable"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str, *, backslash: bool = True) -> str:
    """``text`` with control, format, separator and undecodable characters escaped.

    ``backslash=False`` leaves backslashes alone: for text that may hold names escaped
    already (a log line quoting a quarantine reason), which must not be escaped twice.
    """
    if text.isprintable() and (not backslash or "\\" not in text):
        return text  # the common case, and cheap
    return "".join(
        ch if ch.isprintable() and (ch != "\\" or not backslash) else _escape(ch) for ch in text
    )
