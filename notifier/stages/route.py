"""Route: which receivers get an event, by today's route tree (``notify.route``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from yujing.config import Route

from ..route import match_receivers
from .base import Notice

__all__ = ["RouteStage"]

log = logging.getLogger("yujing.notifier")


class RouteStage:
    """One notice per receiver the route tree gives the event's labels."""

    def __init__(self, route: Route):
        self.route = route

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        out: list[Notice] = []
        for notice in notices:
            names = match_receivers(self.route, notice.event.labels())
            if not names:
                log.info("alert %s matched no receiver", notice.event.id)
            out.extend(replace(notice, receiver=name) for name in names)
        return out
