"""Posts already stored are not fetched or parsed again, and feed entries without a real
author are anonymous."""

from __future__ import annotations

from collections.abc import Callable

from yujing.records import hash_author, post_id

from .conftest import SALT, Collector, feed_source, forum_source


def known_in(sink: Collector, source: str) -> Callable[[str], bool]:
    """As the daemon's hook: is the post this native id names (URL, guid) stored?"""
    return lambda native_id: post_id(source, native_id) in sink.posts


def test_forum_threads_already_stored_are_not_fetched_again(site, crawl) -> None:
    source = forum_source(site)
    sink = Collector()
    first = crawl(source, sink, YUJING_KNOWN_URL=known_in(sink, source.name))
    assert (first.items, first.accepted) == (5, 5)
    before = len(site.fetched("/bbs/thread-"))
    second = crawl(source, sink, YUJING_KNOWN_URL=known_in(sink, source.name))
    # Only the deleted thread (empty, so never stored) is asked for again.
    assert site.fetched("/bbs/thread-")[before:] == ["/bbs/thread-103.html"]
    assert (second.items, second.accepted, second.errors) == (0, 0, 0)
    assert site.fetched().count("/bbs/list.html") == 2, "the list itself is read every time"


def test_feed_entries_already_stored_are_skipped(site, crawl) -> None:
    source = feed_source(site, "/feeds/rss.xml")
    sink = Collector()
    assert crawl(source, sink, YUJING_KNOWN_URL=known_in(sink, source.name)).accepted == 3
    again = crawl(source, sink, YUJING_KNOWN_URL=known_in(sink, source.name))
    assert (again.items, again.accepted, again.duplicates) == (0, 0, 0), "not even parsed"
    # One entry forgotten (known by guid, else link): only that one comes through.
    forgotten = post_id(source.name, "complaint-8801")
    del sink.posts[forgotten]
    third = crawl(source, sink, YUJING_KNOWN_URL=known_in(sink, source.name))
    assert (third.items, third.accepted) == (1, 1) and forgotten in sink.posts


def test_feed_entries_without_their_own_author_are_anonymous(site, crawl) -> None:
    sink = Collector()
    crawl(feed_source(site, "/feeds/stand-ins.xml", name="weiquan-rss"), sink)
    authors = {p.title: p.author for p in sink.posts.values()}
    assert authors == {
        "安心e生医疗险拒赔": None,  # the feed's own title as author: not a person
        "福满堂年金险退保只退一半": None,  # a blank author: not a hash of ""
        "康宁守护重疾险理赔材料": hash_author("小李", SALT),
    }
    assert hash_author("", SALT) is None and hash_author("  ", SALT) is None
