"""Hostile pages, generated: whatever HTML a site sends, a thread page becomes a post item (with
whatever its selectors find, maybe nothing) and a sitemap a list of entries or a refusal; the
text extraction never raises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from yujing.config import DetailSelectors
from yujing.crawlers.htmltext import html_to_text
from yujing.crawlers.spiders.detail import detail_item
from yujing.crawlers.spiders.sitemap import read_sitemap

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

tags = st.sampled_from(
    ["<h1>", "</h1>", "<div class='body'>", "</div>", "<p>", "</p>", "<pre>", "</pre>", "<br>",
     "<table><tr><td>", "</td><td>", "</td></tr></table>", "<script>", "</script>", "<!--", "-->",
     "<span class='time'>", "</span>", "&amp;", "&#0;", "&#x110000;", "<![CDATA[", "]]>", "<",
     ">", "<a href='javascript:x'>", "</a>", "<meta charset='gbk'>", "\x00", "\ufeff"]
)  # fmt: skip
chunks = st.lists(st.one_of(tags, st.text(max_size=12)), max_size=40).map("".join)
DETAIL = DetailSelectors(
    title="h1::text",
    text="div.body",
    published="span.time::text",
    views="//span[@class='views']/text()",
    re={"published": r"(\d{4}-\d\d-\d\d)"},
)


@SETTINGS
@given(chunks, st.sampled_from(["utf-8", "gbk", "big5"]))
def test_any_thread_page_becomes_an_item(html: str, encoding: str) -> None:
    body = html.encode(encoding, errors="replace")
    response = HtmlResponse("https://bbs.example.cn/t/1.html", body=body, encoding=encoding)
    item = detail_item(response, "bbs", DETAIL)
    assert item.url == "https://bbs.example.cn/t/1.html"
    assert isinstance(item.title, str) and isinstance(item.text, str)


@SETTINGS
@given(chunks)
def test_html_to_text_never_raises(html: str) -> None:
    assert isinstance(html_to_text(html), str)


@SETTINGS
@given(st.lists(st.sampled_from(["<urlset>", "</urlset>", "<url>", "</url>", "<loc>", "</loc>",
       "<sitemapindex>", "<lastmod>", "</lastmod>", "http://x/", "<?xml version='1.0'?>", "&",
       "<!DOCTYPE x [<!ENTITY a 'b'>]>", "&a;"]), max_size=20).map("".join))  # fmt: skip
def test_any_sitemap_body_parses_or_is_refused(xml: str) -> None:
    kind, entries = read_sitemap(xml.encode())
    if kind not in ("urlset", "sitemapindex"):
        assert entries == [] and kind  # the spider reports "not a sitemap (<why>)"
        return
    assert all(isinstance(e, dict) and e["loc"] for e in entries)
    # Entities are not expanded: "&a;" never becomes the "b" it was declared as.
    assert all(e["loc"] != "b" for e in entries)
