"""A crawl's posts handed to the sink in batches, each committed in one transaction.

Committing post by post costs a transaction per page; a batch costs one for many, and lets the
sink understand its posts elsewhere (``yujing.app.understanding``: worker processes) while the
crawl goes on. A post's ``process_item`` awaits its batch's answer, so Scrapy's
``item_scraped`` (which the crawl memory, ``incremental.FetchedLog``, listens to) comes only once
the batch is committed: a page is remembered as fetched only when its post is stored.

A batch goes to the sink when it holds ``YUJING_BATCH_SIZE`` posts, ``YUJING_BATCH_SECONDS``
after its first post (a slow site's posts are not held back), as soon as no download is in
progress (the crawl's last posts: Scrapy closes the spider only once every item is done, so they
must not wait for the timer), and at ``spider_closed`` (nothing is left then in practice; that
it is empty is checked, not assumed). At most
``YUJING_BATCH_SIZE`` posts are ever held uncommitted: while a batch is committed, a post that
would go over waits for it. So a crash (kill -9) loses at most one batch, which the next crawl
fetches again since none of its pages was remembered.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from yujing.records import Post

__all__ = ["PostBatches", "PostsSink", "QUIET_POLL"]

# The answers for a batch, in its order (True: a new post, now committed), or an awaitable of
# them; raises when nothing of the batch was stored.
PostsSink = Callable[[list[Post]], Sequence[bool] | Awaitable[Sequence[bool]]]

# How often an open batch looks whether the crawl has gone quiet, or its time has come.
QUIET_POLL = 0.05


class PostBatches:
    """Collects posts and hands them to ``sink`` in batches, in order, one batch at a time."""

    def __init__(
        self,
        sink: PostsSink,
        size: int,
        seconds: float,
        quiet: Callable[[], bool] = lambda: False,
    ):
        self.sink = sink
        self.size = max(1, size)
        self.seconds = seconds
        self.quiet = quiet  # nothing more is coming soon: no download in progress
        self._due = 0.0  # when the open batch goes, at the latest
        self._open: list[tuple[Post, asyncio.Future[bool]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._committing: asyncio.Task[None] | None = None  # the batch the sink has now
        self._held_out = 0  # posts of that batch
        # Posts waiting for room, first come first served: only as many are woken as fit, since
        # waking every one at each commit costs a crawl with many pages in hand dearly.
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._reserved = 0  # posts woken, not yet in the open batch

    @classmethod
    def from_crawler(cls, crawler: Crawler, sink: PostsSink) -> PostBatches:
        settings = crawler.settings
        batches = cls(
            sink,
            settings.getint("YUJING_BATCH_SIZE", 100),
            settings.getfloat("YUJING_BATCH_SECONDS", 1.0),
            quiet=lambda: crawler.engine is not None and not crawler.engine.downloader.active,
        )
        crawler.signals.connect(batches.closed, signal=signals.spider_closed)
        return batches

    @property
    def held(self) -> int:
        """Posts handed in and not yet answered."""
        return len(self._open) + self._held_out + self._reserved

    async def add(self, post: Post) -> bool:
        """True once ``post`` is committed as new, False once it is known; raises what the sink
        raised for its batch."""
        loop = asyncio.get_running_loop()
        if self.held >= self.size or self._waiting:
            # A full batch is being committed: wait for it, after the posts waiting already.
            room = loop.create_future()
            self._waiting.append(room)
            try:
                await room
            except asyncio.CancelledError:
                if room.done() and not room.cancelled():  # given room it no longer takes
                    self._reserved -= 1
                    self._wake()
                raise
            self._reserved -= 1
        answer = loop.create_future()
        self._open.append((post, answer))
        if len(self._open) >= self.size:
            self.flush()
        elif self._timer is None:
            self._due = loop.time() + self.seconds
            self._timer = loop.call_later(min(QUIET_POLL, self.seconds), self._tick)
        return await answer

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        if self.quiet() or loop.time() >= self._due:
            self.flush()
        else:
            self._timer = loop.call_later(QUIET_POLL, self._tick)

    def flush(self) -> None:
        """Send the open batch, after the one being committed (batches commit in order)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._open or self._committing is not None:
            return  # the commit in progress sends the open batch when it ends
        batch, self._open = self._open, []
        self._held_out = len(batch)
        self._committing = asyncio.ensure_future(self._commit(batch))

    async def _commit(self, batch: list[tuple[Post, asyncio.Future[bool]]]) -> None:
        try:
            answers = self.sink([post for post, _ in batch])
            if inspect.isawaitable(answers):
                answers = await answers
            if len(answers) != len(batch):
                raise RuntimeError(f"the sink answered {len(answers)} posts of {len(batch)}")
        except Exception as exc:
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(exc)
        except BaseException:  # cancelled (the loop is closing): so are the batch's posts
            for _, answer in batch:
                answer.cancel()
            raise
        else:
            for (_, answer), new in zip(batch, answers, strict=True):
                if not answer.done():  # a post's item may have been cancelled meanwhile
                    answer.set_result(bool(new))
        finally:
            self._committing = None
            self._held_out = 0
            self._wake()
            if len(self._open) >= self.size or (self._open and self._timer is None):
                self.flush()

    def _wake(self) -> None:
        """Give the room there is to the posts waiting longest."""
        while self._waiting and self.held < self.size:
            room = self._waiting.popleft()
            if not room.done():  # not cancelled meanwhile
                room.set_result(None)
                self._reserved += 1

    async def closed(self, spider: Any, reason: str) -> None:
        """The spider closed: commit what is left (Scrapy waits for its items first, so this is
        empty unless an item was cut short)."""
        self.flush()
        while self._committing is not None:
            await asyncio.shield(self._committing)
            self.flush()
