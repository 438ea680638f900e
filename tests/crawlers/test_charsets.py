"""Pages and feeds that do not say (or lie about) their charset are read right, or refused."""

from __future__ import annotations

from .conftest import Collector, feed_source, forum_source


def undeclared_board(site):
    return forum_source(
        site,
        name="old-board",
        url=site.url("/undeclared/list.html"),
        list={"link": "ul.threads a"},
        detail={"title": "h1::text", "text": "div.content"},
    )


def test_undeclared_gbk_and_big5_pages_are_read_and_noise_is_an_error(site, crawl) -> None:
    sink = Collector()
    result = crawl(undeclared_board(site), sink)
    # A short GBK page is what Scrapy's own guess reads as Korean (cp949).
    assert {p.title: p.text for p in sink.posts.values()} == {
        "理赔被拒": "退保难",
        "醫療險理賠被拒": "客戶表示要向金管會投訴，情緒激動。",
    }
    # The page that is text in no encoding is not stored as mojibake: it is an error, by URL.
    assert result.errors == 1
    assert result.last_error == (
        f"GET {site.url('/undeclared/thread-3.html')}: cannot tell the text's encoding with "
        "confidence (declared: utf-8): it is not UTF-8 (byte 0x81 at offset 12) and reads as none "
        "of GBK/GB18030, "
        "Big5 or UTF-16 without garbled characters; save it as UTF-8"
    )


def test_a_page_that_declares_utf8_but_is_gbk_is_read_as_gbk(site, crawl) -> None:
    config = {
        "name": "tousu",
        "url": site.url("/lie/list.html"),
        "list": {"link": "td.t a::attr(href)"},
        "detail": {"title": "th.title::text", "text": "td.content"},
    }
    sink = Collector()
    crawl(forum_source(site, **config), sink)
    [post] = sink.posts.values()
    assert post.title == "安心e生医疗险客服推诿"
    assert "\ufffd" not in post.text


def test_an_undeclared_gbk_feed_is_read(site, crawl) -> None:
    sink = Collector()
    result = crawl(feed_source(site, "/feeds/gbk.xml"), sink)
    assert result.errors == 0
    [post] = sink.posts.values()
    assert (post.title, post.text) == ("理赔被拒", "退保难，客服推诿")
