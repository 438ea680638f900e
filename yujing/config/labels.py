"""The labels alerts carry, and a check that every matcher in the config can ever match.

Routes, inhibit rules (and later silences) pick alerts by label, as in Alertmanager. A typo there
(``sevrity=red``, ``severity=~red|ornage``, ``product=anxin``) would pass silently and the route
would simply never match, so each matcher is checked against the labels that exist and, where
their values are known, against those values.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from yujing.alerts import KINDS, AlertState, EventKind, Severity
from yujing.matchers import Matcher, parse_matcher

__all__ = ["LABELS", "label_values", "matcher_problem", "matcher_problems"]

# Every label an alert event can carry, with what it means (the README lists these).
LABELS: dict[str, str] = {
    "kind": "what raised the alert, one of yujing.alerts.KINDS: "
    + ", ".join(f"{kind} ({words})" for kind, words in KINDS.items()),
    "product": "the product's id, from products:, on burst alerts",
    "source": "the source's name, from sources:, on source-health alerts",
    "category": "a complaint category's id, on category alerts only",
    "severity": "blue, yellow, orange, red",
    "state": "firing, resolved",
    "event": "firing, updated, escalated, resolved",
    "categories": "the leading categories' names, comma-separated",
    "new_terms": "newly frequent words, comma-separated",
}


def _fixed() -> dict[str, tuple[str, ...]]:
    """The labels whose values the alerts themselves define; read at each check, so a kind
    added to ``KINDS`` is known at once."""
    return {
        "kind": tuple(KINDS),
        "severity": tuple(s.value for s in Severity),
        "state": tuple(s.value for s in AlertState),
        "event": tuple(e.value for e in EventKind),
    }


_PLAIN = re.compile(r"^[\w.-]+$")  # an alternative of a regex that is a literal value


def label_values(
    products: list[str], categories: list[str], sources: list[str] | None = None
) -> dict[str, tuple[str, ...]]:
    """The values each label with a known set of values can take under this config."""
    values = {**_fixed(), "product": tuple(products), "category": tuple(categories)}
    if sources:
        values["source"] = tuple(sources)
    return values


def _config_values(config: Any) -> dict[str, tuple[str, ...]]:
    return label_values(
        [p.id for p in config.products],
        [c.id for c in config.categories],
        [s.name for s in config.sources],
    )


def _guess(word: str, choices: list[str] | tuple[str, ...]) -> str:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean {found[0]!r}?" if found else ""


def _problem(m: Matcher, values: Mapping[str, tuple[str, ...]]) -> str | None:
    if m.label not in LABELS:
        return f"unknown label {m.label!r}{_guess(m.label, list(LABELS))} (labels: {', '.join(LABELS)})"
    known = values.get(m.label)
    if not known or m.value == "":  # free values, none configured; "" matches a missing label
        return None
    if m.op in ("=", "!="):
        if m.value not in known:
            return f"no {m.label} is {m.value!r}{_guess(m.value, known)}"
        return None
    literal = [a for a in m.value.split("|") if _PLAIN.match(a)]
    if len(literal) == len(m.value.split("|")):  # a plain alternation: each must exist
        bad = [a for a in literal if a not in known]
        if bad:
            return f"no {m.label} is {bad[0]!r}{_guess(bad[0], known)}"
        return None
    assert m.regex is not None
    # A regex that fits no value never matches with =~ (with !~ it always does, which may be
    # meant: "any product but these").
    if m.op == "=~" and not any(m.regex.fullmatch(v) for v in known):
        return f"{m.value!r} matches no {m.label} ({', '.join(known)})"
    return None


def _matcher_lists(config: Any) -> Iterator[tuple[tuple[Any, ...], list[str]]]:
    def walk(route: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], list[str]]]:
        yield (*path, "matchers"), route.matchers
        for i, child in enumerate(route.routes):
            yield from walk(child, (*path, "routes", i))

    yield from walk(config.notify.route, ("notify", "route"))
    for i, rule in enumerate(config.notify.inhibit_rules):
        for side in ("source_matchers", "target_matchers"):
            yield ("notify", "inhibit_rules", i, side), getattr(rule, side)


def matcher_problem(text: str, config: Any) -> str | None:
    """What is wrong with one matcher (bad grammar, a label or value that does not exist)."""
    try:
        matcher = parse_matcher(text)
    except ValueError as exc:
        return str(exc)
    return _problem(matcher, _config_values(config))


def matcher_problems(config: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(path of the matcher, problem) for each matcher that can never do what it says."""
    values = _config_values(config)
    out = []
    for path, matchers in _matcher_lists(config):
        for i, text in enumerate(matchers):
            problem = _problem(parse_matcher(text), values)
            if problem:
                out.append(((*path, i), f"matcher {text!r}: {problem}"))
    return out
