"""Retention: now and then, delete posts older than ``storage.retention`` (none: keep all).

Only what no reader needs any more goes (``yujing.store.retention`` says what stays): the
detector's state is saved first, so the posts it has read are not needed to rebuild it, and
posts another reader has not read yet (the Elasticsearch indexer's copy) stay until it has:
each answers ``posts_pruning`` with how far it has read.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.records import utcnow
from yujing.store import Pruned

from .. import signals
from . import Component

__all__ = ["Retention"]

log = logging.getLogger("yujing.daemon")

EVERY = 3600.0


class Retention(Component):
    """Idle while the config sets no retention; a reload may set or change it."""

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self.every(scheduler, "retention", EVERY, self.prune)

    def keep_after(self) -> int:
        """The lowest posts cursor of the readers that still go through posts."""
        detector = self.daemon.pipeline.detector
        detector.save_state()  # what it has read is in its saved state from now on
        # The other readers (the Elasticsearch indexer) answer for themselves. ``send``, not
        # ``send_catch_log``: a reader that cannot answer must stop the prune, not be skipped.
        answers = self.daemon.signals.send(signals.posts_pruning)
        return min([detector.cursor, *(a for _, a in answers if a is not None)])

    async def prune(self) -> Pruned:
        retention = self.daemon.config.storage.retention
        if retention is None:
            return Pruned()
        before = utcnow() - timedelta(seconds=retention)
        store, keep_after = self.daemon.store, self.keep_after()
        posts = runs = messages = 0
        while True:
            step = store.retention.prune(before, keep_after=keep_after)
            posts, runs, messages = posts + step.posts, runs + step.runs, messages + step.messages
            if step.total == 0:
                break
            await asyncio.sleep(0)  # one batch at a time: collection goes on in between
        pruned = Pruned(posts, runs, messages)
        self.daemon.metrics.pruned(pruned)
        if pruned.total:
            log.info(
                "retention: deleted %d posts, %d crawl runs and %d delivered messages "
                "older than %s",
                posts,
                runs,
                messages,
                before.isoformat(timespec="seconds"),
            )
        return pruned
