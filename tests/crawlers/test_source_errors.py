"""What breaks a source is an error of its run, with its kind: a layout change that leaves the
list selector matching nothing, a redirect loop, a site that is down. Each would otherwise
look like a quiet board."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from testkit.fakes.board import Board, board_config
from yujing.config import ForumSource

from .conftest import Collector


@pytest.fixture
def board() -> Iterator[Board]:
    with Board(per_page=3) as b:
        for i in range(4):
            b.add(f"帖子{i}", f"第{i}个帖子：安心e生医疗险理赔被拒。")
        yield b


def source(board: Board) -> ForumSource:
    # Plain list selectors, as most configs have: these failures concern every forum source.
    plain = {"link": "ul.threads a.subject", "next": "a.nxt::attr(href)"}
    return ForumSource.model_validate(board_config(board, list=plain))


def test_a_changed_layout_is_an_error_not_an_empty_board(crawl, board) -> None:
    board.layout = "v2"
    result = crawl(source(board), Collector())
    assert (result.items, result.errors) == (0, 1)
    assert result.problem == "no_items"
    assert result.last_error == (
        f"GET {board.base}/board/list-1.html: list.link matched nothing"
        " (has the site's layout changed?)"
    )
    assert not result.ok


def test_the_list_page_redirecting_in_a_loop_is_an_error(crawl, board) -> None:
    board.redirects["/board/list-1.html"] = "/board/moved.html"
    board.redirects["/board/moved.html"] = "/board/list-1.html"
    result = crawl(source(board), Collector())
    assert (result.items, result.errors) == (0, 1)
    assert result.problem == "redirect_loop"
    list_url, moved = board.base + "/board/list-1.html", board.base + "/board/moved.html"
    assert result.last_error == (
        f"GET {list_url}: redirect loop ({list_url} -> {moved} -> {list_url})"
    )


def test_a_thread_redirecting_without_end_is_an_error_not_a_skipped_link(crawl, board) -> None:
    board.endless.add("/board/t-102.html")
    result = crawl(source(board), Collector(), REDIRECT_MAX_TIMES=3)
    assert (result.items, result.errors) == (3, 1)
    assert result.problem == "redirect_loop"
    assert result.last_error.endswith("redirect loop (max redirections reached)")
    assert result.last_error.startswith(f"GET {board.base}/board/t-102.html?hop=3")


def test_a_site_that_is_down_is_an_error_of_its_kind(
    crawl, closed_port, caplog: pytest.LogCaptureFixture
) -> None:
    config = {
        "name": "down",
        "type": "forum",
        "url": f"http://127.0.0.1:{closed_port}/list.html",
        "list": {"link": "a"},
        "detail": {"title": "h1", "text": "p"},
    }
    with caplog.at_level(logging.DEBUG):
        result = crawl(ForumSource.model_validate(config), Collector(), RETRY_ENABLED=False)
    assert (result.errors, result.problem) == (1, "unreachable")
    # Told at DEBUG: the daemon says a failing source once (and hourly after), not every run.
    told = [r for r in caplog.records if "connection refused" in r.getMessage()]
    assert told and all(r.levelno == logging.DEBUG for r in told)
