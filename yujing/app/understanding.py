"""Crawled posts understood beside the daemon's event loop, in ``yujing ingest``'s workers.

The crawl (download, parse) and the commit (which post is which, the store) run on the daemon's
one event loop; understanding (normalise, redact, tag, sentiment, the complaint gate) depends on
the post alone and is most of what taking a post costs. Where the machine has more than one CPU,
a crawl's batch is understood in a worker process (``ingest_workers.Worker``, one per CPU beyond
this one) while the loop goes on crawling; the batch is then committed here with what the worker
understood (``Intake.accept_many``), so the answers and the store are those of understanding in
this process (a test holds them equal). With one CPU there is no worker.

Workers start once crawls have brought ``START_AFTER`` new posts (a worker needs a few seconds
to start, which a few posts do not repay: most crawls of a running daemon bring a handful) and
serve the daemon's life; a reload of the config starts new ones, since understanding depends on
it. Until one is ready, while all are busy with other crawls' batches, or once one has died, a
batch is understood in this process, as before: a worker costs no post.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from yujing.config import Config
from yujing.detector.copies import Sketch
from yujing.records import Post, ScoredPost
from yujing.store import Store

from .ingest_workers import Worker, by_id, new_posts, start_workers, usable_cpus

__all__ = ["Understanding", "Understood"]

log = logging.getLogger("yujing.understanding")

# Posts understood by a worker, and their copy sketches, by id (``Intake.accept_many``'s).
Understood = tuple[dict[str, ScoredPost], dict[str, Sketch]]

# New posts understood in this process before workers start.
START_AFTER = 100  # a full crawl batch


class Understanding:
    """Worker processes that understand batches of posts for the event loop; ``jobs`` is the
    CPUs to use, this process's included (1: no worker)."""

    def __init__(self, config: Config, jobs: int | None = None):
        self.config = config
        self.jobs = usable_cpus() if jobs is None else max(1, jobs)
        self.workers: list[Worker] = []
        self._busy: set[Worker] = set()
        self._lost = False  # a worker died, or the pool was closed: none is started again
        self.batches = 0  # understood by a worker
        self.taken = 0  # new posts understood in this process before the workers started

    @property
    def parallel(self) -> bool:
        return self.jobs > 1

    def start(self) -> None:
        """Start the workers (each is used once it is ready); again: nothing."""
        if self.workers or not self.parallel or self._lost:
            return
        self.workers = start_workers(self.config, self.jobs - 1)
        log.info("crawled posts are understood in %d worker process(es)", len(self.workers))

    async def ready(self, timeout: float = 60) -> bool:
        """Wait until a worker can take a batch (for tests and benchmarks); False if none can."""
        self.start()
        deadline = asyncio.get_running_loop().time() + timeout
        while not any(w.idle() for w in self.workers):
            if self._lost or not self.workers or asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def new_of(self, store: Store, batch: Sequence[Post]) -> Understood:
        """The posts of ``batch`` not stored yet, understood by a worker (``understand``), and
        their sketches, by id; for ``Intake.accept_many``, which understands the rest itself."""
        if not self.parallel:
            return {}, {}
        new = new_posts(store, batch)
        if not self.workers and self.taken < START_AFTER:
            self.taken += len(new)
            return {}, {}
        return await self.understand(new)

    async def understand(self, posts: Sequence[Post]) -> Understood:
        """``posts`` understood by a worker, by id (the workers start at the first call); none
        when no worker is free (the caller understands them itself)."""
        self.start()
        worker = next((w for w in self.workers if w not in self._busy and w.idle()), None)
        if worker is None or not posts:
            return {}, {}
        self._busy.add(worker)
        try:
            if not worker.send(list(posts)):
                return self._note(worker)
            # The answer is waited for in a thread: the loop crawls on meanwhile.
            answer = await asyncio.to_thread(worker.receive)
        finally:
            self._busy.discard(worker)
        if worker.dead:
            return self._note(worker)
        self.batches += 1
        return by_id(answer)

    def _note(self, worker: Worker) -> Understood:
        if worker in self.workers:  # not closed meanwhile: it died
            # Never restarted: what failed once may fail again.
            log.warning("a worker understanding crawled posts stopped; they are understood here")
            self.workers.remove(worker)
            worker.stop()
        self._lost = True
        return {}, {}

    def close(self) -> None:
        """Stop the workers; a batch one was understanding is understood by its caller."""
        self._lost = True
        workers, self.workers = self.workers, []
        for worker in workers:
            worker.stop()
