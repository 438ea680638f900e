from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from yujing.crawlers.run import CrawlResult
from yujing.records import Reach, hash_author, post_id

from .conftest import SALT, Collector, forum_source

T101 = "安心e生医疗险理赔被拒，大家有一样的吗？"
T102 = "福满堂年金险退保只退一半"
T104 = "安心e生医疗险 续保被拒，说我有既往症"
T105 = "福满堂年金险分红远低于演示，被销售误导"
T106 = "求助：康宁守护重疾险理赔材料怎么准备"


def test_forum_crawl_yields_normalised_posts(site, crawl) -> None:
    sink = Collector()
    result = crawl(forum_source(site), sink)

    # 103 is an empty (deleted) thread: dropped, not stored, not an error.
    assert result == CrawlResult(
        items=5, accepted=5, errors=0, last_error=None, finished_reason="finished", dropped=1
    )
    posts = sink.by_title()
    assert set(posts) == {T101, T102, T104, T105, T106}

    p = posts[T101]
    assert p.source == "weiquan-bbs"
    assert p.url == site.url("/bbs/thread-101.html")
    assert p.id == post_id("weiquan-bbs", site.url("/bbs/thread-101.html"))
    assert p.author == hash_author("老王", SALT)
    assert p.published_at == datetime(2026, 11, 20, 6, 5, tzinfo=UTC)  # 14:05 in Shanghai
    assert p.reach == Reach(views=12_000, comments=35)
    assert p.text == (
        "去年在网上买了安心e生医疗险，今年八月住院花了三万多。\n"
        "提交材料后保险公司以“未如实告知”为由拒赔，可投保时根本没问过这个病。\n"
        "这已经是第二次申诉了，\n客服电话一直打不通。"
    )
    assert p.extras == {}

    p = posts[T102]
    assert p.published_at == datetime(2026, 11, 19, 1, 30, tzinfo=UTC)  # 2026年11月19日 09:30
    assert p.reach == Reach(views=856, comments=12)
    assert p.author == hash_author("小李", SALT)

    # Same complainant on another thread: same hash, so the detector can count people.
    p = posts[T104]
    assert p.author == posts[T101].author
    assert p.fetched_at - p.published_at == timedelta(minutes=3)  # "3分钟前"
    assert p.reach == Reach(views=2_048, comments=0)

    # No time on the page: the fetch time stands in, and the post says so.
    p = posts[T106]
    assert p.published_at == p.fetched_at
    assert p.extras == {"published_fallback": "fetched_at", "published_raw": None}


def test_gbk_page_is_decoded(site, crawl) -> None:
    sink = Collector()
    crawl(forum_source(site), sink)
    p = sink.by_title()[T105]
    assert p.text == (
        "销售演示的分红是每年百分之六，实际到账不到百分之二。\n"
        "找保险公司只说演示不代表承诺。我们几个同一批买的准备集体投诉。"
    )
    assert p.author == hash_author("张女士", SALT)
    assert p.published_at == datetime(2026, 11, 18, 0, 0, tzinfo=UTC)
    assert p.reach == Reach(views=34_000, comments=210)


@pytest.mark.parametrize(
    ("max_pages", "lists", "titles"),
    [
        (1, ["/bbs/list.html"], {T101, T102}),
        (2, ["/bbs/list.html", "/bbs/list-2.html"], {T101, T102, T104, T105}),
        (
            3,
            ["/bbs/list.html", "/bbs/list-2.html", "/bbs/list-3.html"],
            {T101, T102, T104, T105, T106},
        ),
        (
            9,
            ["/bbs/list.html", "/bbs/list-2.html", "/bbs/list-3.html"],
            {T101, T102, T104, T105, T106},
        ),
    ],
)
def test_pagination_stops_at_max_pages(site, crawl, max_pages, lists, titles) -> None:
    sink = Collector()
    result = crawl(forum_source(site, max_pages=max_pages), sink)
    assert site.fetched("/bbs/list") == lists  # in order: each page links the next
    assert set(sink.by_title()) == titles
    assert result.items == len(titles)
    # thread-101 is linked from two list pages but fetched once.
    assert site.fetched("/bbs/thread-101") == ["/bbs/thread-101.html"]


def test_robots_txt_is_obeyed(site, crawl) -> None:
    result = crawl(forum_source(site, max_pages=1), Collector())
    assert site.fetched()[0] == "/robots.txt"
    assert site.fetched("/bbs/private/") == []
    assert result.errors == 0  # a link robots.txt forbids is skipped, not a failure


def test_encoding_override_fixes_a_page_that_lies_about_its_charset(site, crawl) -> None:
    config = {
        "name": "tousu",
        "url": site.url("/lie/list.html"),
        "list": {"link": "td.t a::attr(href)"},
        "detail": {
            "title": "th.title::text",
            "text": "td.content",
            # An XPath string expression (parenthesised to mark it as XPath): the name sits
            # between labels in one cell.
            "author": "(substring-before(substring-after(//td[@class='info'], '作者：'), '　'))",
            "published": "td.info::text",
        },
    }
    honest = Collector()
    crawl(forum_source(site, encoding="gbk", **config), honest)
    [post] = honest.posts.values()
    assert post.title == "安心e生医疗险客服推诿"
    assert post.text == "打了十几次客服电话，每次都说会有专人联系，一个月了没有任何回复。"
    assert post.author == hash_author("赵先生", SALT)
    assert post.published_at == datetime(2026, 11, 21, 2, 20, tzinfo=UTC)

    # Without the override the bytes are checked against the charset the header claims:
    # they are not UTF-8, so the page is read as what it is (test_charsets has the details).
    found = Collector()
    crawl(forum_source(site, **config), found)
    [post] = found.posts.values()
    assert post.title == "安心e生医疗险客服推诿"


def test_missing_list_page_is_reported(site, crawl) -> None:
    url = site.url("/bbs/gone.html")
    result = crawl(forum_source(site, url=url), Collector())
    assert result.items == 0
    assert result.errors == 1
    assert result.last_error == f"GET {url}: HTTP 404"


def test_debug_logs_never_hold_an_item(site, crawl, caplog) -> None:
    # With -v the daemon runs Scrapy at DEBUG: items must still not reach the log, since they
    # hold the raw author ("老王") and unredacted text before the pipeline has seen them.
    # Scrapy's logger itself at DEBUG too: another test may have quietened it in this process.
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="scrapy"):
        result = crawl(forum_source(site), Collector(), LOG_LEVEL="DEBUG")
    assert result.items == 5
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Scraped an item from " + site.url("/bbs/thread-101.html") in text
    assert "老王" not in text and "未如实告知" not in text
