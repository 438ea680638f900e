"""``yujing ingest`` on every core: posts understood in worker processes, stored by this one.

Understanding (redaction, tags, sentiment) depends on the post alone and is most of what
storing a call costs, while which post is which (copies, links across channels) and the commit
must be decided in order, by one process. So while this process identifies and commits one
batch, workers understand the next ones; the answers and the store are exactly what a single
process gives (a test holds them equal), only sooner on a machine with more than one core.

The first ``START_AFTER`` batches (a few thousand calls) are taken in this process alone:
starting workers would cost more than it saves; and while they start, this process goes on
alone. Workers are started by a fork server (never forked from this process,
which holds the store open), each builds its own ``Understander`` from the config, and they
leave Ctrl-C to this process, which stops them. Each has one batch at a time, over a pipe of
its own; a worker that dies (killed, out of memory), even halfway through sending its answer,
costs no post: its batch and the rest are understood in this process. The daemon's crawls
use these workers too (``understanding``); its own inbox stays in the daemon's one process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from multiprocessing.connection import Connection, wait

from yujing.config import Config
from yujing.detector.copies import Sketch
from yujing.detector.identity import sketches_of
from yujing.detector.understand import Understander, understander_for
from yujing.records import Post, ScoredPost, utcnow
from yujing.store import Store

from .intake import Intake

__all__ = [
    "ParallelIntake",
    "START_AFTER",
    "Answer",
    "Worker",
    "by_id",
    "new_posts",
    "start_workers",
    "usable_cpus",
]

log = logging.getLogger("yujing.ingest")

# Batches taken in this process before workers start: a worker needs a second or two to
# start, which a few thousand calls do not repay.
START_AFTER = 10
_READY = "ready"


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, which containers narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ParallelIntake:
    """An ``Intake`` on ``jobs`` processes: this one, which identifies and stores every post, and
    ``jobs - 1`` workers that understand them (1: none, all in this one).

    A sink for ``ingest_files``: ``accept_stream`` commits each batch in order, as
    ``Intake.accept_many`` would, while the workers understand the batches after it.
    ``close`` (or the ``with`` block's end) stops the workers.
    """

    def __init__(self, intake: Intake, config: Config, jobs: int):
        self.intake = intake
        self.config = config
        self.jobs = max(1, jobs)
        self.workers: list[Worker] = []
        self._seen = 0  # batches taken
        self._lost = False

    def __enter__(self) -> ParallelIntake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def accept_many(self, batch: Sequence[Post]) -> list[bool]:
        return self.intake.accept_many(batch)

    def accept_stream(self, batches: Iterable[Sequence[Post]]) -> Iterator[list[bool]]:
        """The answers of each batch, in order, each once that batch is committed."""
        ahead: deque[tuple[Sequence[Post], Worker]] = deque()  # sent, in order
        for batch in batches:
            self._seen += 1
            if self._seen > START_AFTER:
                self._start()
            placed = self._place(batch, ahead)
            while not placed and ahead:
                # The oldest batch's answer frees its worker for this one, which it then
                # understands while this process commits the oldest.
                done = self._receive(*ahead.popleft())
                placed = self._place(batch, ahead)
                yield self.intake.accept_many(*done)
            if not placed:  # no worker (few posts so far, still starting, or lost)
                yield self.intake.accept_many(batch)
        while ahead:
            yield self.intake.accept_many(*self._receive(*ahead.popleft()))

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers = []

    def _start(self) -> None:
        if self.workers or self.jobs < 2 or self._lost:
            return
        self.workers = start_workers(self.config, self.jobs - 1)
        n = len(self.workers)
        log.info(
            "%d worker%s posts beside this process", n, " understands" if n == 1 else "s understand"
        )

    def _place(self, batch: Sequence[Post], ahead: deque[tuple[Sequence[Post], Worker]]) -> bool:
        """Send ``batch`` to an idle worker, if one is; True when sent."""
        new: list[Post] | None = None  # asked of the store once, whichever worker takes it
        for worker in self.workers:
            if worker.idle():
                new = self._new(batch) if new is None else new
                if worker.send(new):
                    ahead.append((batch, worker))
                    return True
            self._note(worker)
        return False

    def _receive(
        self, batch: Sequence[Post], worker: Worker
    ) -> tuple[Sequence[Post], dict[str, ScoredPost], dict[str, Sketch]]:
        """``batch`` and its posts as ``worker`` understood them, by id (none if it died)."""
        understood, sketches = by_id(worker.receive())
        self._note(worker)
        return batch, understood, sketches

    def _new(self, batch: Sequence[Post]) -> list[Post]:
        return new_posts(self.intake.store, batch)

    def _note(self, worker: Worker) -> None:
        if worker.dead and not self._lost:
            self._lost = True  # never restarted: what failed once may fail again
            log.warning("an ingest worker stopped; its posts are understood in this process")


# A worker's answer: each post of its batch understood, with its copy sketch.
Answer = list[tuple[ScoredPost, Sketch]]


def by_id(answer: Answer) -> tuple[dict[str, ScoredPost], dict[str, Sketch]]:
    """A worker's answer as ``Intake.accept_many`` takes it: understood posts and sketches."""
    understood: dict[str, ScoredPost] = {}
    sketches: dict[str, Sketch] = {}
    for scored, sk in answer:
        if scored.post.id not in understood:  # an id twice: its first post, as in one process
            understood[scored.post.id] = scored
            sketches[scored.post.id] = sk
    return understood, sketches


def new_posts(store: Store, batch: Sequence[Post]) -> list[Post]:
    """The posts of ``batch`` not stored yet: only they are sent to be understood (a file
    ingested twice, a thread fetched again, costs no understanding). Asked again, in its
    transaction, when the batch is committed."""
    known = store.posts.known({post.id for post in batch})
    return [post for post in batch if post.id not in known]


def start_workers(config: Config, n: int) -> list[Worker]:
    """``n`` workers, starting; each says when it is ready (``Worker.idle``)."""
    # Forked from a bare fork server, never from this process, which holds the store open:
    # each worker imports yujing and builds its understander itself, beside this process,
    # which goes on meanwhile. (Spawned where there is no fork server.)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return [Worker(context, config) for _ in range(n)]


class Worker:
    """One worker process and its pipe: up to ``IN_FLIGHT`` batches sent, answered in the order
    sent. The worker reads its pipe in a thread of its own, so a batch sent never waits on
    an answer this process has yet to read (both writing to a full pipe would stop both)."""

    IN_FLIGHT = 2  # one understood while the next waits: no pause between batches

    def __init__(self, context, config: Config):
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs, config), daemon=True)
        self.process.start()
        theirs.close()  # its end is the worker's alone: its death then ends the pipe
        self.ready = self.dead = False
        self.sent = 0  # batches not yet answered

    def idle(self) -> bool:
        if not self.ready and not self.dead and self.conn.poll():
            self.ready = self._recv() == _READY
        return self.ready and self.sent < self.IN_FLIGHT and not self.dead

    def send(self, posts: list[Post]) -> bool:
        try:
            self.conn.send(posts)
        except OSError:
            self.dead = True
            return False
        self.sent += 1
        return True

    def receive(self) -> Answer:
        """The answer to the oldest batch sent; none when the worker died first."""
        self.sent -= 1
        if not self.dead:
            try:
                wait([self.conn, self.process.sentinel])
                answer = self._recv() if self.conn.poll() else None
            except OSError:  # stopped meanwhile (the daemon's config reloaded, or it stops)
                answer = None
            if isinstance(answer, list):
                return answer
            self.dead = True
        return []

    def stop(self) -> None:
        self.conn.close()  # the worker reads the end of its pipe and returns
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()

    def _recv(self) -> object:
        try:
            return self.conn.recv()
        except (EOFError, OSError):  # died, perhaps halfway through its answer
            self.dead = True
            return None


def warm_up(understander: Understander) -> None:
    """Build what understanding and copy sketches build at their first post (tables over every
    code point, a second or two): a worker does it before it says it is ready, so its first
    batch is not held up meanwhile while this process waits for it."""
    now = utcnow()
    post = Post(
        source="warm-up", url="", id="warm-up", author=None, title="安心e生",
        text="理赔被拒，客服推脱。", published_at=now, fetched_at=now,
    )  # fmt: skip
    sketches_of([understander.understand(post).post])


def _serve(conn: Connection, config: Config) -> None:
    """A worker: understand each batch received, until the pipe ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    understander = understander_for(config)
    warm_up(understander)
    batches: queue.SimpleQueue[list[Post] | None] = queue.SimpleQueue()
    threading.Thread(target=_read, args=(conn, batches), daemon=True).start()
    try:
        conn.send(_READY)
        while (batch := batches.get()) is not None:
            # Their copy sketches too, made here as the intake would make them.
            scored = [understander.understand(post) for post in batch]
            conn.send(list(zip(scored, sketches_of(s.post for s in scored), strict=True)))
    except BrokenPipeError:
        return  # this process closed the pipe: stopped, whatever the worker was doing


def _read(conn: Connection, batches: queue.SimpleQueue[list[Post] | None]) -> None:
    try:
        while True:
            batches.put(conn.recv())
    except (EOFError, OSError):
        batches.put(None)  # the pipe ended: no more batches
