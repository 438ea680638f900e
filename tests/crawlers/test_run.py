from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy import signals

from yujing.config import FeedSource, ForumSource, TranscriptSource
from yujing.crawlers.run import (
    CrawlResult,
    crawl_settings,
    crawl_source,
    spider_for,
    stop_all_crawls,
)
from yujing.crawlers.spiders.feed import FeedSpider
from yujing.crawlers.spiders.forum import ForumSpider
from yujing.records import Post

from .conftest import SALT, TEST_SETTINGS, TIMEZONE, Collector, feed_source, forum_source

ROOT = Path(__file__).resolve().parents[2]


def test_source_that_is_down_is_reported_not_raised(crawl, closed_port) -> None:
    url = f"http://127.0.0.1:{closed_port}/list"
    source = ForumSource.model_validate(
        {
            "name": "down",
            "type": "forum",
            "url": url,
            "list": {"link": "a.t"},
            "detail": {"title": "h1", "text": "div.c"},
        }
    )
    result = crawl(source, Collector())
    assert result.items == 0
    assert result.errors == 1  # the list page, after retries; robots.txt failing is not counted
    assert result.last_error == f"GET {url}: connection refused"
    assert result.finished_reason == "finished"
    assert not result.ok


def test_consecutive_crawls_in_one_process(site, crawl) -> None:
    sink = Collector()
    first = crawl(forum_source(site), sink)
    second = crawl(forum_source(site), sink)
    third = crawl(feed_source(site, "/feeds/rss.xml"), sink)
    assert (first.items, first.accepted, first.duplicates) == (5, 5, 0)
    # Same posts again: the sink already has them, so all are duplicates.
    assert (second.items, second.accepted, second.duplicates) == (5, 0, 5)
    assert (third.items, third.accepted) == (3, 3)
    assert len(sink.posts) == 8
    assert first.ok and second.ok and third.ok
    assert site.fetched().count("/bbs/list.html") == 2


# A polite delay makes the crawl take seconds, long enough to interrupt it half-way.
SLOW = {**TEST_SETTINGS, "DOWNLOAD_DELAY": 1.5}


def test_stop_all_crawls_ends_running_crawls_gracefully(site, in_reactor) -> None:
    sink = Collector()

    async def scenario() -> tuple[CrawlResult, bool]:
        crawling = asyncio.ensure_future(
            crawl_source(
                forum_source(site), sink, salt=SALT, timezone=TIMEZONE, settings_overrides=SLOW
            )
        )
        await asyncio.sleep(0.5)
        await stop_all_crawls()
        done = crawling.done()  # stop_all_crawls waits for crawl_source to return
        return await crawling, done

    started = time.monotonic()
    result, done = in_reactor(scenario())
    assert done
    assert result.finished_reason == "shutdown"
    assert result.items < 5 and result.accepted == len(sink.posts)
    assert time.monotonic() - started < 5  # did not wait for the remaining pages
    in_reactor(stop_all_crawls())  # nothing running: returns at once


class StopWhenOpened:
    """An extension that asks every crawl to stop the moment its spider opens, before its
    engine runs: the daemon stopping just as a scheduled crawl starts."""

    stops: list[asyncio.Future[None]] = []

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls()
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        return extension

    def opened(self, spider) -> None:
        self.stops.append(asyncio.ensure_future(stop_all_crawls()))


def test_a_crawl_stopped_while_it_starts_still_returns(site, in_reactor) -> None:
    sink = Collector()
    overrides = {**SLOW, "EXTENSIONS": {StopWhenOpened: 0}}
    StopWhenOpened.stops.clear()

    async def scenario() -> CrawlResult:
        crawling = crawl_source(
            forum_source(site), sink, salt=SALT, timezone=TIMEZONE, settings_overrides=overrides
        )
        # Scrapy alone loses a stop asked this early, and the crawl then never returns.
        result = await asyncio.wait_for(crawling, 20)
        await asyncio.wait_for(asyncio.gather(*StopWhenOpened.stops), 5)
        return result

    result = in_reactor(scenario())
    assert len(StopWhenOpened.stops) == 1
    assert result.finished_reason == "shutdown"
    assert result.items < 5 and result.accepted == len(sink.posts)


def test_cancelled_crawl_stops_and_the_next_one_works(site, in_reactor, crawl) -> None:
    async def scenario() -> tuple[bool, int, int]:
        crawling = asyncio.ensure_future(
            crawl_source(
                forum_source(site), None, salt=SALT, timezone=TIMEZONE, settings_overrides=SLOW
            )
        )
        await asyncio.sleep(0.5)
        crawling.cancel()
        try:
            await crawling
        except asyncio.CancelledError:
            cancelled = True
        else:
            cancelled = False
        fetched = len(site.fetched())
        await asyncio.sleep(2 * SLOW["DOWNLOAD_DELAY"])  # a live crawl would fetch again by now
        return cancelled, fetched, len(site.fetched())

    cancelled, fetched_then, fetched_later = in_reactor(scenario())
    assert cancelled
    assert fetched_later == fetched_then
    result = crawl(feed_source(site, "/feeds/rss.xml"), Collector())
    assert (result.items, result.errors, result.finished_reason) == (3, 0, "finished")


def test_without_a_sink_the_crawl_still_runs(site, crawl) -> None:
    result = crawl(feed_source(site, "/feeds/atom.xml"), None)
    assert result == CrawlResult(
        items=2, accepted=0, errors=0, last_error=None, finished_reason="finished"
    )


def test_a_failing_sink_is_counted_as_an_error(site, crawl) -> None:
    def sink(posts: list[Post]) -> list[bool]:
        raise OSError("disk full")

    url = site.url("/feeds/rss.xml")
    result = crawl(feed_source(site, "/feeds/rss.xml"), sink)
    assert (result.items, result.accepted, result.errors) == (0, 0, 3)
    assert result.last_error == f"storing a post from {url} failed: OSError: disk full"


def test_invalid_selector_fails_before_crawling(site, crawl) -> None:
    # The config refuses it at load time (so check-config catches it) ...
    with pytest.raises(ValueError, match=r"detail.title: invalid selector 'h1..x'"):
        forum_source(site, detail={"title": "h1..x", "text": "div.post-body"})
    # ... and a source built without validation is still stopped before any request.
    good = forum_source(site)
    bad_detail = good.detail.model_copy(update={"title": "h1..x"})
    source = good.model_copy(update={"detail": bad_detail})
    with pytest.raises(ValueError, match=r"detail.title: invalid selector 'h1..x'"):
        crawl(source, Collector())
    assert site.fetched() == []


def test_spider_for_maps_source_types() -> None:
    forum = ForumSource.model_validate(
        {
            "name": "f",
            "type": "forum",
            "url": "http://x/",
            "list": {"link": "a"},
            "detail": {"title": "h1", "text": "p"},
        }
    )
    feed = FeedSource(name="r", type="feed", url="http://x/rss")
    assert spider_for(forum) == (ForumSpider, {"source": forum, "keywords": []})
    assert spider_for(feed) == (FeedSpider, {"source": feed})
    with pytest.raises(TypeError, match="transcripts"):
        spider_for(TranscriptSource(name="t", type="transcripts", path=Path("x")))  # type: ignore[arg-type]


def test_crawl_settings_layer_on_project_settings() -> None:
    sink = Collector()
    settings = crawl_settings(
        sink, salt="s" * 8, timezone="Asia/Shanghai", overrides={"LOG_LEVEL": "DEBUG"}
    )
    assert settings["BOT_NAME"] == "yujing"
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert settings["USER_AGENT"] == "yujing/0.1 (+https://github.com/yujing)"
    assert settings["LOG_LEVEL"] == "DEBUG"
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings["YUJING_AUTHOR_SALT"] == "s" * 8
    # Crawler deep-copies settings; the sink must survive that as the same object.
    copied = settings.copy()["YUJING_POST_SINK"]
    assert copied.sink is sink


def test_scrapy_list_finds_the_spiders() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split() == ["api", "feed", "forum", "sitemap"]


def test_items_are_processed_ten_at_a_time() -> None:
    # Scrapy's default of 100 starts a task per item and step: a million over a large crawl.
    settings = crawl_settings(None, salt="s" * 8, timezone="Asia/Shanghai", overrides={})
    assert settings.getint("CONCURRENT_ITEMS") == 10


def test_a_crawl_turns_each_post_into_a_dict_only_for_an_export(
    site, crawl, monkeypatch, tmp_path
) -> None:
    made: list[str] = []
    to_dict = Post.to_dict

    def counted(self: Post) -> dict:
        made.append(self.id)
        return to_dict(self)

    monkeypatch.setattr(Post, "to_dict", counted)
    result = crawl(forum_source(site), Collector())
    assert result.items == 5 and made == [], "the daemon's crawl needs no dicts"

    out = tmp_path / "posts.jsonl"
    crawl(forum_source(site), None, FEEDS={str(out): {"format": "jsonlines"}})
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(made) == len(exported) == 5
    assert {e["id"] for e in exported} == set(made)
    assert all(e["published_at"].endswith("+00:00") for e in exported)
