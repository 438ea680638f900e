"""Sites described by their sitemap (a ``SitemapSource``): sitemap -> the pages that are posts.

Many complaint platforms and regulators' notice lists publish a sitemap rather than a browsable
list. The sitemap (or a sitemap index, plain or gzipped) is read with Scrapy's own parser
(``scrapy.utils.sitemap``); the pages whose address matches ``follow`` are read with the
``detail`` selectors, newest ``<lastmod>`` first, at most ``max_pages`` a crawl.

Incremental like a forum (``crawlers.incremental``): a page's ``<lastmod>`` is its signature, so a
page is fetched when it is new, when its lastmod moved, or when ``revisit`` has passed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from lxml import etree
from scrapy.http import Request, Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from yujing.config import SitemapSource
from yujing.patterns import compile_pattern

from ..incremental import REMEMBER
from ..items import PostItem
from ..run import SpiderCollector
from .base import ENTRY, IncrementalSpider, Problem, coerce_source
from .detail import detail_item

__all__ = ["SitemapCollector", "SitemapSpider", "read_sitemap"]

MAX_SITEMAPS = 50  # sitemaps an index may send us to in one crawl


def read_sitemap(body: bytes) -> tuple[str, list[dict[str, Any]]]:
    """The sitemap's kind (``urlset``, ``sitemapindex``; else what its root is, or why it could
    not be read) and its entries that have a ``loc``. Entities are never expanded (Scrapy's
    parser): no billion laughs, no local files."""
    try:
        sitemap = Sitemap(body)
        entries = [e for e in sitemap if e.get("loc")]
    except (StopIteration, etree.XMLSyntaxError):  # nothing, or nothing XML could make of it
        return "unreadable XML", []
    if sitemap.type not in ("urlset", "sitemapindex"):
        return f"its root is <{sitemap.type}>", []
    return sitemap.type, entries


class SitemapSpider(IncrementalSpider):
    name = "sitemap"

    def __init__(self, source: SitemapSource | str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.source: SitemapSource = coerce_source(source, SitemapSource)
        self.name = f"{self.name}.{self.source.name}"
        self.follow = compile_pattern(self.source.follow)
        self.sitemaps = 0
        self.queued = 0

    async def start(self) -> AsyncIterator[Request]:
        yield self._sitemap_request(str(self.source.url), entry=True)

    def _sitemap_request(self, url: str, entry: bool = False) -> Request:
        self.sitemaps += 1
        return Request(
            url, callback=self.parse_sitemap, errback=self.on_request_error, meta={ENTRY: entry}
        )

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        body = response.body
        if body[:2] == b"\x1f\x8b":  # a .xml.gz served as it is
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except OSError as exc:
                self.note_error(f"GET {response.url}: not a gzipped sitemap ({exc})")
                return
        kind, entries = read_sitemap(body)
        if kind not in ("urlset", "sitemapindex"):
            self.note_error(f"GET {response.url}: not a sitemap ({kind})")
            return
        if kind == "sitemapindex":
            for e in entries:
                if self.sitemaps < MAX_SITEMAPS:
                    yield self._sitemap_request(e["loc"])
            return
        if not entries:
            self.note_error(
                f"GET {response.url}: the sitemap lists no pages (has the site changed?)",
                Problem.NO_ITEMS,
            )
            return
        posts = [e for e in entries if self.follow.search(e["loc"])]
        posts.sort(key=lambda e: e.get("lastmod") or "", reverse=True)
        for e in posts:
            if self.queued >= self.source.max_pages:
                self.crawler.stats.inc_value("yujing/sitemap_capped")
                break
            url, lastmod = e["loc"], e.get("lastmod")
            why = self.freshness.why_fetch(url, lastmod)
            if why is None:
                self.crawler.stats.inc_value("yujing/known_skipped")
                continue
            self.crawler.stats.inc_value(f"yujing/fetched_{why.value}")
            self.queued += 1
            yield Request(
                url,
                callback=self.parse_detail,
                errback=self.on_request_error,
                meta={REMEMBER: (url, lastmod)},
            )

    def parse_detail(self, response: Response) -> Iterator[PostItem]:
        response = self.decoded(response, self.source.encoding)
        if response is not None:
            yield detail_item(response, self.source.name, self.source.detail)


class SitemapCollector(SpiderCollector):
    """A sitemap, crawled incrementally."""

    spider = SitemapSpider
