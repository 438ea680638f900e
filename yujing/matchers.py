"""Alertmanager's label matchers: ``label=value``, ``label!=value``, ``label=~regex`` and
``label!~regex``.

The config validates them (so ``check-config`` catches a bad regex) and the notifier's routes,
inhibit rules and silences match with them: one grammar in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .patterns import Pattern, compile_pattern

__all__ = ["Matcher", "matcher_text", "parse_matcher"]

# A value written bare in a matcher's text: anything else is quoted, so it reads back the same.
_BARE = re.compile(r"^[\w.:/@+-]*$")
_MATCHER = re.compile(r"^\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Matcher:
    label: str
    op: str  # "=", "!=", "=~" or "!~"
    value: str
    regex: Pattern | None = None  # RE2, as Alertmanager's

    def matches(self, labels: dict[str, str]) -> bool:
        # As in Alertmanager, a missing label has the empty value: "x!=a" matches when x is absent.
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self.regex is not None
        found = self.regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found


@lru_cache(maxsize=512)
def parse_matcher(text: str) -> Matcher:
    if re.search(r"==|!==|=~=", text):
        raise ValueError(f"matcher {text!r}: write one = (severity=red, not severity==red)")
    m = _MATCHER.match(text)
    if not m:
        raise ValueError(
            f"matcher {text!r} should look like severity=red, product!=x, product=~a|b"
            " or product!~a|b"
        )
    label, op, value = m.groups()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]  # Alertmanager allows label="value"
    # Anchored like Alertmanager: "a|b" means the whole value is a or b.
    try:
        regex = compile_pattern(f"(?:{value})") if op in ("=~", "!~") else None
    except ValueError as exc:
        raise ValueError(f"matcher {text!r}: {exc}") from None
    return Matcher(label, op, value, regex)


def matcher_text(label: str, op: str, value: str) -> str:
    """The text ``parse_matcher`` reads back as this matcher: ``product=anxin-e``, or the value
    quoted (``comment="a b"``) when it has spaces, quotes or signs that would read otherwise."""
    if op not in ("=", "!=", "=~", "!~"):
        raise ValueError(f"matcher operator {op!r} is none of =, !=, =~, !~")
    if not re.fullmatch(r"[A-Za-z_]\w*", label):
        raise ValueError(f"label name {label!r}: letters, digits and _ only, not first a digit")
    shown = value if _BARE.match(value) and value else f'"{value}"'
    return f"{label}{op}{shown}"
