"""Two daemons sharing one crawl through a real Redis: each page fetched once, each post
stored once, by one of them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from testkit.redis import RedisServer
from yujing.crawlers.run import CrawlResult, SharedFrontier, crawl_source

from .conftest import SALT, TEST_SETTINGS, TIMEZONE, Collector, Site, forum_source


def _two_workers(
    in_reactor: Callable[..., Any], source: Any, frontier: SharedFrontier
) -> tuple[Collector, Collector, list[CrawlResult]]:
    first, second = Collector(), Collector()

    async def both() -> list[CrawlResult]:
        runs = [
            crawl_source(
                source,
                sink,
                salt=SALT,
                timezone=TIMEZONE,
                settings_overrides=TEST_SETTINGS,
                shared=frontier,
            )
            for sink in (first, second)
        ]
        return list(await asyncio.gather(*runs))

    return first, second, in_reactor(both(), timeout=60)


def test_two_workers_fetch_each_page_once_and_store_each_post_once(
    site: Site,
    in_reactor: Callable[..., Any],
    redis_server: RedisServer,  # noqa: F811
) -> None:
    source = forum_source(site)
    # The same board crawled by one worker alone, without Redis: what the two must share.
    alone = Collector()
    result = in_reactor(
        crawl_source(source, alone, salt=SALT, timezone=TIMEZONE, settings_overrides=TEST_SETTINGS)
    )
    assert result.ok and len(alone.posts) >= 3
    single = Counter(site.fetched("/bbs/"))
    site.requests.clear()

    first, second, results = _two_workers(in_reactor, source, SharedFrontier(redis_server.url))

    assert all(r.finished_reason == "finished" and r.errors == 0 for r in results)
    fetched = Counter(site.fetched("/bbs/"))
    assert fetched == single  # the same pages as one worker alone...
    assert set(fetched.values()) == {1}  # ...each fetched once, by one of the two
    assert set(first.posts) | set(second.posts) == set(alone.posts)
    assert not set(first.posts) & set(second.posts)
    assert sum(r.accepted for r in results) == len(alone.posts)


def test_round_keys_expire_after_the_crawl(
    site: Site,
    in_reactor: Callable[..., Any],
    redis_server: RedisServer,  # noqa: F811
) -> None:
    source = forum_source(site, interval=600)
    frontier = SharedFrontier(redis_server.url, key_prefix="test")
    _two_workers(in_reactor, source, frontier)

    client = redis_server.client()
    seen = client.keys("test:weiquan-bbs:*:dupefilter")
    assert len(seen) == 1
    # Nothing outlives two rounds: the seen set of this round, the queue (empty, so gone).
    assert 0 < client.ttl(seen[0]) <= 1200
    assert all(client.ttl(key) > 0 for key in client.keys("*"))


def test_keys_are_per_source_and_round(site: Site) -> None:
    frontier = SharedFrontier("redis://127.0.0.1:1/0", key_prefix="yj")
    source = forum_source(site, interval=300)
    assert frontier.keys(source, 600.0) == frontier.keys(source, 899.9)
    assert frontier.keys(source, 900.0) != frontier.keys(source, 899.9)
    other = forum_source(site, name="another-board", interval=300)
    assert frontier.keys(other, 600.0)[0] == "yj:another-board:2:requests"
