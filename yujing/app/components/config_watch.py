"""Watching the config files: a change on disk reloads the daemon (as SIGHUP does)."""

from __future__ import annotations

from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from . import Component, Reload

__all__ = ["ConfigWatch"]

EVERY = 2.0


class ConfigWatch(Component):
    def __init__(self, daemon):
        super().__init__(daemon)
        self.seen = self.stamp()

    def stamp(self) -> tuple[tuple[str, float], ...]:
        """Modification times of the config file and every file it includes."""
        path: Path = self.daemon.config_path
        files = [path, *(path.parent / i for i in self.daemon.config.include)]
        out = []
        for f in files:
            try:
                out.append((str(f), f.stat().st_mtime))
            except OSError:
                out.append((str(f), 0.0))
        return tuple(out)

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self.every(scheduler, "config", EVERY, self.check)

    async def check(self) -> None:
        if self.stamp() != self.seen:
            self.daemon.reload()

    def reload_attempted(self) -> None:
        # Taken first, so a file that fails to load is not tried again every two seconds, and
        # a SIGHUP's reload is not repeated by this watch.
        self.seen = self.stamp()

    def reload(self, change: Reload) -> None:
        self.seen = self.stamp()  # includes files the new config includes
