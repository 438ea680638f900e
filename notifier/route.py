"""Alertmanager-style routing: which receivers get an alert, decided by its labels, and how each
groups and times its notifications (the matched route node's options, inherited as in
Alertmanager: ``yujing.config.route_opts``)."""

from __future__ import annotations

from yujing.config import ROOT_OPTS, Route, RouteOpts, route_opts
from yujing.matchers import Matcher, parse_matcher

__all__ = ["Matcher", "parse_matcher", "match_receivers", "match_routes"]


def _matches(route: Route, labels: dict[str, str]) -> bool:
    return all(parse_matcher(m).matches(labels) for m in route.matchers)


def _walk(route: Route, labels: dict[str, str], parent: RouteOpts) -> list[RouteOpts]:
    opts = route_opts(route, parent)
    found: list[RouteOpts] = []
    for child in route.routes:
        if not _matches(child, labels):
            continue
        found.extend(_walk(child, labels, opts))
        if not child.continue_:
            break
    if not found and opts.receiver is not None:
        return [opts]
    return found


def match_routes(route: Route, labels: dict[str, str]) -> list[RouteOpts]:
    """The options of the matched route nodes, in routing order, one per receiver: when two
    nodes send to the same receiver, the first decides its grouping. The root always matches."""
    out: dict[str, RouteOpts] = {}
    for opts in _walk(route, labels, ROOT_OPTS):
        assert opts.receiver is not None
        out.setdefault(opts.receiver, opts)
    return list(out.values())


def match_receivers(route: Route, labels: dict[str, str]) -> list[str]:
    """Receiver names for ``labels``, in routing order, each once."""
    return [opts.receiver for opts in match_routes(route, labels) if opts.receiver]
