"""Route grouping and timers as a route node uses them, inherited as in Alertmanager, and the
checks ``check-config`` makes of them.

A route's ``group_by``, ``group_wait``, ``group_interval`` and ``repeat_interval`` are its
parent's unless it sets them; the root's are ``ROOT_GROUPING``. ``group_by: ["..."]`` groups by
every label (one group per alert).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .labels import LABELS
from .notify import GROUP_BY_ALL, ROOT_GROUPING, Route

__all__ = [
    "RouteOpts",
    "ROOT_OPTS",
    "route_opts",
    "walk_opts",
    "grouping_problems",
    "receiver_problems",
    "UNSTABLE",
]

# Labels whose value changes while an alert lives: an alert grouped by them would move from
# group to group, and the group that told its firing would never hear it resolve.
UNSTABLE = {
    "severity": "it changes when an alert escalates",
    "state": "it changes when an alert resolves",
    "event": "it changes with every event of an alert",
}


@dataclass(frozen=True, slots=True)
class RouteOpts:
    """What a route node sends to and how it groups and times, after inheritance."""

    receiver: str | None
    group_by: tuple[str, ...] | None  # None: every label
    group_wait: float
    group_interval: float
    repeat_interval: float

    def group_labels(self, labels: dict[str, str]) -> dict[str, str]:
        """The labels of ``labels`` that name the alert's group (missing ones are left out)."""
        if self.group_by is None:
            return dict(sorted(labels.items()))
        return {name: labels[name] for name in sorted(self.group_by) if name in labels}


def _group_by(names: list[str]) -> tuple[str, ...] | None:
    return None if names == [GROUP_BY_ALL] else tuple(names)


ROOT_OPTS = RouteOpts(
    receiver=None,
    group_by=_group_by(ROOT_GROUPING["group_by"]),
    group_wait=ROOT_GROUPING["group_wait"],
    group_interval=ROOT_GROUPING["group_interval"],
    repeat_interval=ROOT_GROUPING["repeat_interval"],
)


def route_opts(route: Route, parent: RouteOpts = ROOT_OPTS) -> RouteOpts:
    """``route``'s options: what it sets, else its parent's."""
    return RouteOpts(
        receiver=route.receiver if route.receiver is not None else parent.receiver,
        group_by=_group_by(route.group_by) if route.group_by is not None else parent.group_by,
        group_wait=route.group_wait if route.group_wait is not None else parent.group_wait,
        group_interval=(
            route.group_interval if route.group_interval is not None else parent.group_interval
        ),
        repeat_interval=(
            route.repeat_interval if route.repeat_interval is not None else parent.repeat_interval
        ),
    )


def walk_opts(
    route: Route, path: tuple[Any, ...] = ("notify", "route"), parent: RouteOpts = ROOT_OPTS
) -> Iterator[tuple[tuple[Any, ...], Route, RouteOpts]]:
    """(config path, node, its options) of every node, depth first."""
    opts = route_opts(route, parent)
    yield path, route, opts
    for i, child in enumerate(route.routes):
        yield from walk_opts(child, (*path, "routes", i), opts)


def _label_problem(name: str) -> str | None:
    if name == GROUP_BY_ALL:
        return None
    if name in UNSTABLE:
        return (
            f"cannot group by {name!r}: {UNSTABLE[name]}, and an alert stays in one group "
            "from firing to resolved; route by it with matchers instead"
        )
    if name not in LABELS:
        found = difflib.get_close_matches(name, list(LABELS), n=1, cutoff=0.5)
        hint = f"; did you mean {found[0]!r}?" if found else ""
        return f"unknown label {name!r}{hint} (labels: {', '.join(LABELS)})"
    return None


def grouping_problems(config: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(config path, problem) for group_by labels that cannot group and timers that clash."""
    out: list[tuple[tuple[Any, ...], str]] = []
    for path, route, opts in walk_opts(config.notify.route):
        for i, name in enumerate(route.group_by or ()):
            problem = _label_problem(name)
            if problem:
                out.append(((*path, "group_by", i), problem))
        if opts.repeat_interval < opts.group_interval and (
            route.repeat_interval is not None or route.group_interval is not None
        ):
            where = "repeat_interval" if route.repeat_interval is not None else "group_interval"
            out.append(
                (
                    (*path, where),
                    f"repeat_interval ({opts.repeat_interval:g}s) is shorter than "
                    f"group_interval ({opts.group_interval:g}s): a group is only looked at every "
                    "group_interval, so make repeat_interval at least as long",
                )
            )
    return out


def receiver_problems(config: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(config path, problem) for each route that names a receiver nobody defined."""
    names = [r.name for r in config.notify.receivers]
    out: list[tuple[tuple[Any, ...], str]] = []
    for path, route, _ in walk_opts(config.notify.route):
        if route.receiver is None or route.receiver in names:
            continue
        found = difflib.get_close_matches(route.receiver, names, n=1, cutoff=0.5)
        hint = f"; did you mean {found[0]!r}?" if found else ""
        out.append(
            (
                (*path, "receiver"),
                f"receiver {route.receiver!r} is not defined{hint} "
                f"(defined under notify.receivers: {', '.join(names) or 'none'})",
            )
        )
    return out
