"""Alertmanager-style routing: which receivers get an alert, decided by its labels."""

from __future__ import annotations

from yujing.config import Route
from yujing.matchers import Matcher, parse_matcher

__all__ = ["Matcher", "parse_matcher", "match_receivers"]


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
