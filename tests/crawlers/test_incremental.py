"""Incremental crawls over real HTTP: only what is new or changed is fetched, paging stops at
a list page that holds nothing new, and a restart picks up where the last crawl stopped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from testkit.fakes.board import Board, board_config
from yujing.config import ForumSource
from yujing.crawlers.incremental import StoredMemory
from yujing.records import post_id, utcnow
from yujing.store import Store

from .conftest import Collector


@pytest.fixture
def board() -> Iterator[Board]:
    with Board(per_page=3) as b:
        for i in range(9):
            b.add(f"帖子{i}", f"第{i}个帖子：安心e生医疗险理赔被拒。")
        yield b


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "y.db")
    yield s
    s.close()


def crawl_board(crawl, board: Board, store: Store, sink: Collector, **changes):
    source = ForumSource.model_validate(board_config(board, **changes))
    return crawl(
        source,
        sink,
        YUJING_CRAWL_MEMORY=StoredMemory(store.crawled, source.name),
        YUJING_KNOWN_URL=lambda native_id: post_id(source.name, native_id) in sink.posts,
    )


def lists(board: Board, since: int) -> list[str]:
    return [p for p in board.paths("/board/")[since:] if "/list-" in p]


def threads(board: Board, since: int) -> list[str]:
    return sorted(p for p in board.paths("/board/")[since:] if "/t-" in p)


def test_a_repeat_crawl_with_nothing_new_reads_one_list_page_and_no_thread(
    crawl, board, store
) -> None:
    sink = Collector()
    first = crawl_board(crawl, board, store, sink)
    assert (first.items, first.accepted, first.errors) == (9, 9, 0)
    assert lists(board, 0) == [f"/board/list-{n}.html" for n in (1, 2, 3)]
    mark = len(board.paths("/board/"))

    again = crawl_board(crawl, board, store, sink)
    assert (again.items, again.errors) == (0, 0)
    assert board.paths("/board/")[mark:] == ["/board/list-1.html"]


def test_a_restart_fetches_what_appeared_while_down_and_nothing_else(
    crawl, board, store, tmp_path
) -> None:
    sink = Collector()
    crawl_board(crawl, board, store, sink)
    store.close()
    # Down for a while: four threads came, pushing the newest seen one to page 2.
    new = [board.add(f"新帖{i}", f"停机期间的第{i}个新帖，福满堂年金险退保。") for i in range(4)]
    mark = len(board.paths("/board/"))

    reopened = Store(tmp_path / "y.db")
    try:
        result = crawl_board(crawl, board, reopened, sink)
    finally:
        reopened.close()
    assert result.accepted == 4
    assert threads(board, mark) == sorted(f"/board/t-{t.id}.html" for t in new)
    # Page 2 still had a new thread; page 3 held only seen ones, so paging ended there.
    assert lists(board, mark) == [f"/board/list-{n}.html" for n in (1, 2, 3)]


def test_a_thread_is_fetched_again_when_its_entry_shows_new_replies(crawl, board, store) -> None:
    sink = Collector()
    crawl_board(crawl, board, store, sink)
    answered = board.thread(106)
    answered.replies, answered.last_reply = 4, "2026-11-21 09:00"
    answered.text += "（补充：已投诉到监管）"
    mark = len(board.paths("/board/"))

    result = crawl_board(crawl, board, store, sink)
    assert threads(board, mark) == ["/board/t-106.html"]
    assert result.items == 1 and result.duplicates == 1  # the sink decides what an edit is
    # A changed entry may sit on any page, so the next one is read too; it held no change.
    assert lists(board, mark) == ["/board/list-1.html", "/board/list-2.html"]


def test_an_unchanged_thread_is_revisited_on_the_slow_schedule(crawl, board, store) -> None:
    sink = Collector()
    crawl_board(crawl, board, store, sink, revisit="7d")
    # Fetched eight days ago, as far as the crawl state knows.
    url = board.base + "/board/t-108.html"
    store.crawled.remember("board", url, "0|2026-11-20 10:00", utcnow() - timedelta(days=8))
    mark = len(board.paths("/board/"))

    crawl_board(crawl, board, store, sink, revisit="7d")
    assert threads(board, mark) == ["/board/t-108.html"]
    assert lists(board, mark) == ["/board/list-1.html"]  # a revisit is not news: no paging


def test_posts_stored_before_the_crawl_state_existed_are_not_fetched_again(
    crawl, board, store
) -> None:
    sink = Collector()
    crawl_board(crawl, board, store, sink)
    store.db.execute("DELETE FROM crawl_seen")  # as after upgrading a store that has posts
    mark = len(board.paths("/board/"))
    crawl_board(crawl, board, store, sink)
    assert threads(board, mark) == [] and lists(board, mark) == ["/board/list-1.html"]
    assert store.crawled.count("board") == 3  # page 1's entries, as they show now


def test_without_entry_markers_seen_threads_are_skipped_and_paging_still_stops(
    crawl, board, store
) -> None:
    sink = Collector()
    plain = {"link": "ul.threads a.subject", "next": "a.nxt::attr(href)"}
    crawl_board(crawl, board, store, sink, list=plain)
    board.thread(106).replies = 9  # invisible without list.replies
    mark = len(board.paths("/board/"))
    crawl_board(crawl, board, store, sink, list=plain)
    assert threads(board, mark) == [] and lists(board, mark) == ["/board/list-1.html"]


def test_a_failed_thread_is_tried_again_next_crawl(crawl, board, store) -> None:
    sink = Collector()
    board.redirects["/board/t-109.html"] = "/board/t-109.html"
    first = crawl_board(crawl, board, store, sink)
    assert first.errors == 1 and first.problem == "redirect_loop"
    board.redirects.clear()
    mark = len(board.paths("/board/"))
    second = crawl_board(crawl, board, store, sink)
    assert threads(board, mark) == ["/board/t-109.html"] and second.accepted == 1
