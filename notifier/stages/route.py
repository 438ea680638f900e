"""Route: which receivers get an event, by today's route tree (``notify.route``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from yujing.config import Route

from ..route import match_routes
from .base import Notice

__all__ = ["RouteStage"]

log = logging.getLogger("yujing.notifier")


class RouteStage:
    """One notice per receiver the route tree gives the event's labels, with the matched
    route's grouping and timers."""

    def __init__(self, route: Route):
        self.route = route

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        out: list[Notice] = []
        for notice in notices:
            matched = match_routes(self.route, notice.event.labels())
            if not matched:
                log.info("alert %s matched no receiver", notice.event.id)
            out.extend(
                replace(notice, receiver=opts.receiver or "", route=opts) for opts in matched
            )
        return out
