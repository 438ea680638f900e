"""A crawl's posts reach the sink in batches: at ``YUJING_BATCH_SIZE`` posts, after
``YUJING_BATCH_SECONDS``, in order, never more than one batch held uncommitted; and a page is
remembered as fetched only once its batch is committed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testkit.fakes.board import Board, board_config
from yujing.config import ForumSource
from yujing.crawlers.batches import PostBatches
from yujing.crawlers.incremental import StoredMemory
from yujing.records import Post, post_id
from yujing.store import Store

from .conftest import Collector


def post(n: int) -> Post:
    at = datetime(2026, 11, 20, tzinfo=UTC)
    return Post(
        source="s", url=f"http://x/{n}", id=post_id("s", str(n)), author="", title="",
        text=f"帖子{n}", published_at=at, fetched_at=at,
    )  # fmt: skip


class SlowSink:
    """Commits each batch after a pause, noting how many posts were held at the time."""

    def __init__(self, batches: PostBatches | None = None) -> None:
        self.taken: list[list[int]] = []
        self.batches = batches
        self.most_held = 0

    async def __call__(self, posts: list[Post]) -> list[bool]:
        await asyncio.sleep(0.02)
        if self.batches is not None:
            self.most_held = max(self.most_held, self.batches.held)
        self.taken.append([int(p.url.rsplit("/", 1)[1]) for p in posts])
        return [True] * len(posts)


def test_posts_go_in_order_in_batches_of_the_size_and_never_more_than_one_is_held(
    in_reactor,
) -> None:
    sink = SlowSink()
    batches = PostBatches(sink, size=4, seconds=5)
    sink.batches = batches

    async def scenario() -> list[bool]:
        return await asyncio.gather(*(batches.add(post(n)) for n in range(10)))

    answers = in_reactor(_with_close(batches, scenario()))
    assert answers == [True] * 10
    assert sink.taken == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert sink.most_held <= 4


async def _with_close(batches: PostBatches, adding):
    """The crawl's end: what is left goes at spider_closed."""
    task = asyncio.ensure_future(adding)
    await asyncio.sleep(0.1)
    await batches.closed(spider=None, reason="finished")
    return await task


def test_a_batch_not_full_goes_after_the_timer(in_reactor) -> None:
    sink = Collector()
    batches = PostBatches(sink, size=100, seconds=0.05)

    async def scenario() -> tuple[list[bool], float]:
        loop = asyncio.get_running_loop()
        t = loop.time()
        answers = await asyncio.gather(batches.add(post(1)), batches.add(post(1)))
        return answers, loop.time() - t

    answers, took = in_reactor(scenario())
    assert answers == [True, False]  # the same post twice in a batch: new once
    assert sink.batches == [2]
    assert 0.04 <= took < 2


def test_a_sink_that_fails_fails_every_post_of_its_batch_and_the_next_batch_goes_on(
    in_reactor,
) -> None:
    calls: list[int] = []

    def sink(posts: list[Post]) -> list[bool]:
        calls.append(len(posts))
        if len(calls) == 1:
            raise OSError("disk full")
        return [True] * len(posts)

    batches = PostBatches(sink, size=2, seconds=5)

    async def scenario() -> list[object]:
        return await asyncio.gather(
            *(batches.add(post(n)) for n in range(4)), return_exceptions=True
        )

    first, second, third, fourth = in_reactor(scenario())
    assert isinstance(first, OSError) and isinstance(second, OSError)
    assert (third, fourth) == (True, True)
    assert calls == [2, 2]


@pytest.fixture
def board() -> Iterator[Board]:
    with Board(per_page=5) as b:
        for i in range(12):
            b.add(f"帖子{i}", f"第{i}个帖子：安心e生医疗险理赔被拒。")
        yield b


def test_a_page_is_remembered_only_once_its_batch_is_committed(
    crawl, board, tmp_path: Path
) -> None:
    store = Store(tmp_path / "y.db")
    source = ForumSource.model_validate(board_config(board))
    remembered_at_commit: list[int] = []
    sink = Collector()

    def committing(posts: list[Post]) -> list[bool]:
        # What the crawl memory holds when a batch is committed: none of this batch's pages.
        remembered_at_commit.append(store.crawled.count(source.name))
        return sink(posts)

    started = time.monotonic()
    try:
        result = crawl(
            source,
            committing,
            YUJING_CRAWL_MEMORY=StoredMemory(store.crawled, source.name),
            YUJING_BATCH_SIZE=5,
            YUJING_BATCH_SECONDS=30,  # the crawl's end sends the last batch, not the timer
        )
        assert (result.items, result.accepted, result.errors) == (12, 12, 0)
        assert sink.batches == [5, 5, 2]
        assert remembered_at_commit == [0, 5, 10]
        assert store.crawled.count(source.name) == 12
        assert time.monotonic() - started < 15
    finally:
        store.close()


def test_posts_waiting_for_room_go_in_the_order_they_came_and_a_cancelled_one_gives_its_turn_up(
    in_reactor,
) -> None:
    sink = SlowSink()
    batches = PostBatches(sink, size=2, seconds=0.05)

    async def scenario() -> list[object]:
        adds = [asyncio.ensure_future(batches.add(post(n))) for n in range(6)]
        await asyncio.sleep(0)  # the first two fill a batch; the rest wait for room
        adds[3].cancel()
        done = await asyncio.gather(*adds, return_exceptions=True)
        await batches.closed(spider=None, reason="finished")
        return done

    done = in_reactor(scenario())
    assert isinstance(done[3], asyncio.CancelledError)
    assert [d for i, d in enumerate(done) if i != 3] == [True] * 5
    assert sink.taken == [[0, 1], [2, 4], [5]]
    assert batches.held == 0
