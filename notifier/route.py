"""Alertmanager-style routing: which receivers get an alert, decided by its labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from yujing.config import Route

__all__ = ["Matcher", "parse_matcher", "match_receivers"]

_MATCHER = re.compile(r"^\s*([A-Za-z_]\w*)\s*(=~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Matcher:
    label: str
    op: str  # "=", "!=" or "=~"
    value: str
    regex: re.Pattern[str] | None = None

    def matches(self, labels: dict[str, str]) -> bool:
        # As in Alertmanager, a missing label has the empty value: "x!=a" matches when x is absent.
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self.regex is not None
        return self.regex.fullmatch(actual) is not None


@lru_cache(maxsize=512)
def parse_matcher(text: str) -> Matcher:
    m = _MATCHER.match(text)
    if not m:
        raise ValueError(
            f"matcher {text!r} should look like severity=red, product!=x or product=~a|b"
        )
    label, op, value = m.groups()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]  # Alertmanager allows label="value"
    # Anchored like Alertmanager: "a|b" means the whole value is a or b.
    regex = re.compile(f"(?:{value})") if op == "=~" else None
    return Matcher(label, op, value, regex)


def _matches(route: Route, labels: dict[str, str]) -> bool:
    return all(parse_matcher(m).matches(labels) for m in route.matchers)


def _walk(route: Route, labels: dict[str, str], inherited: str | None) -> list[str]:
    receiver = route.receiver if route.receiver is not None else inherited
    found: list[str] = []
    for child in route.routes:
        if not _matches(child, labels):
            continue
        found.extend(_walk(child, labels, receiver))
        if not child.continue_:
            break
    if not found and receiver is not None:
        return [receiver]
    return found


def match_receivers(route: Route, labels: dict[str, str]) -> list[str]:
    """Receiver names for ``labels``, in routing order, each once. The root always matches."""
    out: list[str] = []
    for name in _walk(route, labels, None):
        if name not in out:
            out.append(name)
    return out
