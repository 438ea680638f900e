"""Feeds are polled with conditional GETs: an unchanged feed costs one 304 and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testkit.fakes.board import Feed
from yujing.config import FeedSource
from yujing.store import Validators

from .conftest import Collector

MODIFIED = "Sat, 21 Nov 2026 08:00:00 GMT"


@pytest.fixture
def feed() -> Iterator[Feed]:
    with Feed() as f:
        f.add("c-1", "安心e生医疗险拒赔", "理赔被拒，客服推脱。", MODIFIED)
        f.add("c-2", "福满堂年金险退保", "退保只退一半。", MODIFIED)
        yield f


def source(feed: Feed) -> FeedSource:
    return FeedSource(name="tousu-feed", type="feed", url=feed.base + "/feed.xml")


def test_the_first_fetch_brings_the_validators_to_keep(crawl, feed) -> None:
    sink = Collector()
    result = crawl(source(feed), sink)
    assert (result.items, result.accepted, result.not_modified) == (2, 2, False)
    assert result.validators == Validators('"v2"', MODIFIED)
    [get] = [r for r in feed.requests if r.path == "/feed.xml"]
    assert "If-None-Match" not in get.headers and "If-Modified-Since" not in get.headers


def test_an_unchanged_feed_answers_304_and_nothing_is_stored(crawl, feed) -> None:
    sink = Collector()
    result = crawl(source(feed), sink, YUJING_FEED_VALIDATORS=Validators('"v2"', MODIFIED))
    [get] = [r for r in feed.requests if r.path == "/feed.xml"]
    assert get.headers["If-None-Match"] == '"v2"'
    assert get.headers["If-Modified-Since"] == MODIFIED
    assert result.not_modified and result.ok
    assert (result.items, result.errors, sink.posts) == (0, 0, {})
    assert result.validators is None  # nothing new to keep: the stored ones stand


def test_a_changed_feed_is_fetched_in_full(crawl, feed) -> None:
    feed.add("c-3", "康宁守护重疾险", "材料交了三次还不赔。", "Sun, 22 Nov 2026 08:00:00 GMT")
    sink = Collector()
    result = crawl(source(feed), sink, YUJING_FEED_VALIDATORS=Validators('"v2"', MODIFIED))
    assert (result.items, result.not_modified) == (3, False)
    assert result.validators == Validators('"v3"', "Sun, 22 Nov 2026 08:00:00 GMT")


def test_last_modified_alone_is_sent_back_when_there_is_no_etag(crawl, feed) -> None:
    result = crawl(source(feed), Collector(), YUJING_FEED_VALIDATORS=Validators(None, MODIFIED))
    [get] = [r for r in feed.requests if r.path == "/feed.xml"]
    assert "If-None-Match" not in get.headers
    assert get.headers["If-Modified-Since"] == MODIFIED
    assert result.not_modified
