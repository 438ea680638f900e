"""Two daemons, each with its own store, crawl one shared board through a real Redis: each
page is fetched once and each post stored by one of them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from testkit.fakes.board import Board, board_config
from testkit.redis import RedisServer
from yujing.app.components.sources import Sources
from yujing.app.daemon import Daemon


@pytest.fixture
def board() -> Iterator[Board]:
    with Board(per_page=3) as b:
        for i in range(8):
            b.add(f"帖子{i}", f"第{i}个帖子：安心e生医疗险理赔被拒，客服推脱。")
        yield b


def daemon_config(folder: Path, board: Board, redis_url: str) -> Path:
    folder.mkdir()
    config = {
        "storage": {"path": str(folder / "y.db")},
        "alerts_file": None,
        "products": [{"id": "anxin-e", "name": "安心e生医疗险"}],
        "sources": [board_config(board, shared=True, interval="1h")],
        "redis": {"url": redis_url, "key_prefix": "yj"},
    }
    path = folder / "yujing.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def stored_urls(daemon: Daemon) -> set[str]:
    return {row[0] for row in daemon.store.db.execute("SELECT url FROM posts")}


def test_two_daemons_share_a_crawl(
    tmp_path: Path, in_reactor, board: Board, redis_server: RedisServer
) -> None:
    first = Daemon(daemon_config(tmp_path / "a", board, redis_server.url))
    second = Daemon(daemon_config(tmp_path / "b", board, redis_server.url))
    try:

        async def both():
            runs = (d.get(Sources).run_source("board") for d in (first, second))
            return await asyncio.gather(*runs)

        reports = in_reactor(both())
        assert all(r.errors == 0 for r in reports)
        fetched = Counter(board.paths("/board/"))
        threads = {f"/board/t-{t.id}.html" for t in board.threads}
        assert threads <= set(fetched) and set(fetched.values()) == {1}
        a, b = stored_urls(first), stored_urls(second)
        assert {u.removeprefix(board.base) for u in a | b} == threads
        assert not a & b
        assert sum(r.accepted for r in reports) == len(threads)
        # The round's keys are in Redis under the configured prefix, and expire.
        keys = redis_server.client().keys("yj:board:*")
        assert keys and all(0 < redis_server.client().ttl(k) <= 7200 for k in keys)
    finally:
        first.close()
        second.close()
