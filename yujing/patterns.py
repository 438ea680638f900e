"""Regular expressions that come from the config, compiled by RE2: time linear in the text.

An admin's pattern runs on every post (policy numbers to redact), every crawled page (a
sitemap's ``follow``, a detail field's ``re``) or every alert (a route's ``=~`` matcher). With
Python's backtracking ``re`` one careless pattern, ``(a+)+$``, takes seconds or years on one
post and stalls the daemon. RE2 (Google's engine, the one Alertmanager's matchers use) never
backtracks: no pattern can take more than time proportional to the text. It has no
backreferences and no lookarounds; ``compile_pattern`` says so in words an admin can act on.
"""

from __future__ import annotations

from functools import lru_cache

import re2

__all__ = ["Pattern", "compile_pattern"]

Pattern = re2._Regexp  # what ``compile_pattern`` returns: search, match, fullmatch, sub, finditer

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error is ours to word, not a line on stderr

_HINTS = (
    ("(?<=", "lookbehind"),
    ("(?<!", "lookbehind"),
    ("(?=", "lookahead"),
    ("(?!", "lookahead"),
)


@lru_cache(maxsize=512)  # a detail field's pattern is asked for on every page
def compile_pattern(value: str) -> Pattern:
    """``value`` compiled by RE2, or a ValueError saying what it cannot do and what to write."""
    try:
        return re2.compile(value, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"invalid regular expression {value!r}: {reason}{_hint(value)}") from None


def _hint(value: str) -> str:
    for marker, name in _HINTS:
        if marker in value:
            return (
                f" ({name}s are not supported: patterns run on RE2, which cannot hang on a long "
                "text; match the text itself, e.g. a policy number is already matched only as a "
                "whole run of letters and digits)"
            )
    if "\\1" in value or "\\2" in value:
        return " (backreferences are not supported: patterns run on RE2)"
    return ""
