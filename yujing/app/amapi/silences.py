"""Silences as Alertmanager's API reads and writes them (``/api/v2/silences``), and the query
parameters the alert and silence lists share.

A yujing matcher is text (``product=anxin-e``); the API's is ``{name, value, isRegex, isEqual}``.
Both ways go through ``yujing.matchers``, so a silence posted here reads in ``yujing silence
list`` as one typed there, and one typed there shows here as Alertmanager would show it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yujing.alerts import Silence
from yujing.matchers import Matcher, matcher_text, parse_matcher
from yujing.patterns import Pattern, compile_pattern
from yujing.records import format_time, parse_time

__all__ = [
    "BadRequest",
    "PostedSilence",
    "boolean",
    "filter_matchers",
    "matches_filter",
    "posted_silence",
    "receiver_regex",
    "silence_doc",
    "silence_state",
    "silences_in_order",
]

_OPS = {(False, True): "=", (False, False): "!=", (True, True): "=~", (True, False): "!~"}


class BadRequest(ValueError):
    """A request Alertmanager would answer 400, with what to fix."""


@dataclass(frozen=True)
class PostedSilence:
    matchers: list[str]  # yujing's matcher text
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    id: str | None  # the silence it replaces, when given


def silence_state(silence: Silence, now: datetime) -> str:
    if silence.ends_at <= now:
        return "expired"
    return "active" if silence.starts_at <= now else "pending"


def api_matcher(text: str) -> dict[str, Any]:
    m = parse_matcher(text)
    return {
        "name": m.label,
        "value": m.value,
        "isRegex": m.op in ("=~", "!~"),
        "isEqual": m.op in ("=", "=~"),
    }


def silence_doc(silence: Silence, now: datetime, created: datetime | None) -> dict[str, Any]:
    """A ``gettableSilence``. It was last changed when it was kept, or when it ended early."""
    state = silence_state(silence, now)
    updated = silence.ends_at if state == "expired" else (created or silence.starts_at)
    return {
        "id": silence.id,
        "status": {"state": state},
        "updatedAt": format_time(updated),
        "matchers": [api_matcher(m) for m in silence.matchers],
        "startsAt": format_time(silence.starts_at),
        "endsAt": format_time(silence.ends_at),
        "createdBy": silence.author,
        "comment": silence.comment,
    }


def silences_in_order(silences: list[Silence], now: datetime) -> list[Silence]:
    """As Alertmanager lists them: active ones ending soonest first, then pending ones starting
    soonest, then expired ones, the latest ended first."""
    rank = {"active": 0, "pending": 1, "expired": 2}

    def key(s: Silence) -> tuple[int, float]:
        state = silence_state(s, now)
        if state == "active":
            return rank[state], s.ends_at.timestamp()
        if state == "pending":
            return rank[state], s.starts_at.timestamp()
        return rank[state], -s.ends_at.timestamp()

    return sorted(silences, key=key)


def matches_filter(silence: Silence, matchers: list[Matcher]) -> bool:
    """Alertmanager's silence filter: for each matcher, the silence has a matcher on that label
    whose value the filter's matcher accepts."""
    values = {m.label: m.value for m in map(parse_matcher, silence.matchers)}
    return all(m.label in values and m.matches({m.label: values[m.label]}) for m in matchers)


def posted_silence(body: bytes) -> PostedSilence:
    """A ``postableSilence`` read from a request body; ``BadRequest`` says what is wrong."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a silence: a JSON object")
    missing = [
        k for k in ("matchers", "startsAt", "endsAt", "createdBy", "comment") if k not in data
    ]
    if missing:
        raise BadRequest(f"the silence needs {', '.join(missing)}")
    raw = data["matchers"]
    if not isinstance(raw, list) or not raw:
        raise BadRequest("matchers: give a list of at least one matcher")
    texts = [_matcher_text(i, m) for i, m in enumerate(raw)]
    for name in ("createdBy", "comment"):
        if not isinstance(data[name], str):
            raise BadRequest(f"{name}: a string")
    sid = data.get("id")
    if sid is not None and not isinstance(sid, str):
        raise BadRequest("id: a string")
    return PostedSilence(
        texts,
        _time(data, "startsAt"),
        _time(data, "endsAt"),
        data["createdBy"],
        data["comment"],
        sid or None,
    )


def _matcher_text(i: int, m: Any) -> str:
    where = f"matchers[{i}]"
    if not isinstance(m, dict):
        raise BadRequest(f"{where}: an object with name, value and isRegex")
    name, value, regex = m.get("name"), m.get("value"), m.get("isRegex")
    equal = m.get("isEqual", True)
    if not isinstance(name, str) or not isinstance(value, str):
        raise BadRequest(f"{where}: name and value are strings")
    if not isinstance(regex, bool) or not isinstance(equal, bool):
        raise BadRequest(f"{where}: isRegex (and isEqual) are true or false")
    try:
        text = matcher_text(name, _OPS[(regex, equal)], value)
        parse_matcher(text)
    except ValueError as exc:
        raise BadRequest(f"{where}: {exc}") from None
    return text


def _time(data: dict[str, Any], name: str) -> datetime:
    value = data[name]
    try:
        if not isinstance(value, str):
            raise ValueError
        return parse_time(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name}: an RFC 3339 time, like 2026-12-08T09:00:00Z") from None


def filter_matchers(values: list[str]) -> list[Matcher]:
    """The ``filter`` parameters: each one matcher or several in braces,
    ``{product="anxin-e",severity=~"red|orange"}``."""
    out = []
    for value in values:
        for text in _split(value.strip().removeprefix("{").removesuffix("}")):
            try:
                out.append(parse_matcher(text))
            except ValueError as exc:
                raise BadRequest(f"filter: {exc}") from None
    return out


def _split(text: str) -> list[str]:
    """Matchers separated by commas outside double quotes."""
    parts, current, quoted, escaped = [], [], False, False
    for ch in text:
        if ch == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def boolean(query: dict[str, list[str]], name: str, default: bool = True) -> bool:
    """A boolean query parameter, as Go reads one (true, false, 1, 0, t, f)."""
    values = query.get(name)
    if not values:
        return default
    value = values[-1]
    if value in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if value in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise BadRequest(f"{name}: true or false, not {value!r}")


def receiver_regex(query: dict[str, list[str]]) -> Pattern | None:
    values = query.get("receiver")
    if not values or not values[-1]:
        return None
    try:
        return compile_pattern(f"(?:{values[-1]})")
    except ValueError as exc:
        raise BadRequest(f"receiver: {exc}") from None
