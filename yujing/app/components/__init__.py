"""The daemon's parts, built from the config the way Scrapy builds extensions from settings.

A component has one job around the pipeline (collect on schedule, detect, deliver, index, watch
the config). The daemon builds each listed in ``COMPONENTS`` with ``from_daemon``; one the config
does not ask for raises ``NotConfigured`` and is left out. Started in order with the scheduler,
stopped in the same order (collectors first, so nothing new arrives while the rest finish).

Parts never call each other, nor import each other (a contract in ``.importlinter``): each
connects, in ``from_daemon``, to the daemon's signals (``yujing.app.signals``) it cares for, as
Scrapy's extensions connect to ``crawler.signals``. Sources send ``posts_accepted`` and Detection
evaluates; Detection sends ``alerts_raised`` and Delivery delivers. Every part hears of reloads
(``config_reloading``, ``config_reloaded``: its ``reload_attempted`` and ``reload``, connected as
it is built). The one
thing a part looks up is the HTTP route table (``daemon.get(RouteTable)``). A new cross-cutting
part (an HTTP server, metrics, source health) is a new module here and a line in ``COMPONENTS``,
not new methods on the daemon.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from yujing.config import Config

from .. import signals

if TYPE_CHECKING:
    from ..daemon import Daemon
    from ..pipeline import Pipeline

__all__ = ["COMPONENTS", "Component", "NotConfigured", "Reload", "build_components"]

# Dotted paths, in start (and stop) order.
COMPONENTS = [
    # First: stopped first, so nothing new comes in over HTTP while the rest finish; the
    # parts after it can add their routes in their own start().
    "yujing.app.components.http:HttpServer",
    "yujing.app.components.sources:Sources",
    # Before Detection: evaluations of pushed posts finish before it saves its state.
    "yujing.app.components.push:Push",
    # Alertmanager's API (/api/v2/) over the waves and silences: routes only, nothing to stop.
    "yujing.app.components.alertmanager:AlertmanagerApi",
    # The console (/, /wave/..., /silences) for people in a browser: routes only.
    "yujing.app.components.console:Console",
    "yujing.app.components.detection:Detection",
    "yujing.app.components.delivery:Delivery",
    "yujing.app.components.indexing:Indexing",
    "yujing.app.components.retention:Retention",
    "yujing.app.components.reports:Reports",
    "yujing.app.components.config_watch:ConfigWatch",
]


class NotConfigured(Exception):
    """The config does not ask for this component (as Scrapy's ``NotConfigured``)."""


@dataclass(frozen=True)
class Reload:
    """A config reload that took effect: what was replaced by what."""

    old_config: Config
    new_config: Config
    old_pipeline: Pipeline
    new_pipeline: Pipeline


class Component:
    """Base for the daemon's parts; every hook is optional."""

    def __init__(self, daemon: Daemon):
        self.daemon = daemon

    @classmethod
    def from_daemon(cls, daemon: Daemon) -> Component:
        """The part for ``daemon``; one that hears signals besides the reloads (which every
        part hears: ``build_components`` connects them) connects them here."""
        return cls(daemon)

    def start(self, scheduler: AsyncIOScheduler) -> None:
        """Add this part's jobs to the scheduler (it starts right after)."""

    def reload_attempted(self) -> None:
        """A reload is about to be tried (SIGHUP or a changed file); it may still fail."""

    def reload(self, change: Reload) -> None:
        """The config changed; the daemon has switched to ``change.new_pipeline``."""

    async def stop(self) -> None:
        """Finish what is running and release what this part holds."""

    @staticmethod
    def every(scheduler: AsyncIOScheduler, job_id: str, seconds: float, func: Any) -> None:
        scheduler.add_job(
            func,
            IntervalTrigger(seconds=seconds),
            id=job_id,
            name=job_id,  # what the scheduler's log lines call it ("detect", not "partial")
            replace_existing=True,
            max_instances=1,  # a run still going when the next is due is not doubled
            coalesce=True,  # runs missed while busy collapse into one
        )


def build_components(
    daemon: Daemon, entries: list[str | type[Component]] | None = None
) -> list[Component]:
    """Each entry ("module:Class", or the class) built for ``daemon``, in order."""
    built = []
    for entry in entries if entries is not None else COMPONENTS:
        if isinstance(entry, str):
            module, name = entry.split(":")
            cls = getattr(importlib.import_module(module), name)
        else:
            cls = entry
        try:
            part = cls.from_daemon(daemon)
        except NotConfigured:
            continue
        daemon.signals.connect(part.reload_attempted, signal=signals.config_reloading)
        daemon.signals.connect(part.reload, signal=signals.config_reloaded)
        built.append(part)
    return built
