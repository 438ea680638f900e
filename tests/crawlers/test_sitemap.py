"""Sitemap sources over real HTTP: an index, a gzipped sitemap, the pages that are posts read
with detail selectors, and a repeat crawl that fetches only pages whose lastmod moved."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from yujing.config import SitemapSource
from yujing.crawlers.incremental import StoredMemory
from yujing.records import post_id
from yujing.store import Store

from .conftest import Collector

PAGE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<h1 class="t">{title}</h1><div class="body"><p>{text}</p></div>
<span class="time">2026-11-30 09:{minute:02d}</span>
<div class="info">发表于 2026-11-29 08:{minute:02d} | 阅读 1.2万 | 回复 {minute}</div></body></html>"""


class Site:
    def __init__(self) -> None:
        self.lastmod = {1: "2026-11-29", 2: "2026-11-30", 3: "2026-11-28"}
        self.fetched: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                site.fetched.append(self.path)
                body, kind = site.answer(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", kind)
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server.RequestHandlerClass = Handler
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, path: str) -> tuple[bytes | None, str]:
        if path == "/sitemap_index.xml":
            return (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{self.base}/sitemap-posts.xml.gz</loc></sitemap>"
                "</sitemapindex>"
            ).encode(), "application/xml"
        if path == "/sitemap-posts.xml.gz":
            urls = "".join(
                f"<url><loc>{self.base}/complaint/{n}.html</loc><lastmod>{day}</lastmod></url>"
                for n, day in self.lastmod.items()
            )
            urls += f"<url><loc>{self.base}/about.html</loc></url>"  # not a post
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            )
            return gzip.compress(xml.encode()), "application/gzip"
        if path.startswith("/complaint/"):
            n = int(path.rsplit("/", 1)[1].split(".")[0])
            page = PAGE.format(
                title=f"投诉{n}：理赔被拒", text=f"安心e生医疗险第{n}单拒赔", minute=n
            )
            return page.encode(), "text/html; charset=utf-8"
        return None, "text/plain"

    def posts_fetched(self) -> list[str]:
        return sorted(p for p in self.fetched if p.startswith("/complaint/"))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


def source(site: Site, **changes: Any) -> SitemapSource:
    config = {
        "name": "tousu-sitemap",
        "type": "sitemap",
        "url": site.base + "/sitemap_index.xml",
        "follow": r"/complaint/\d+\.html$",
        "detail": {"title": "h1.t::text", "text": "div.body", "published": "span.time::text"},
        **changes,
    }
    return SitemapSource.model_validate(config)


def test_an_index_and_a_gzipped_sitemap_give_the_posts_it_lists(site: Site, crawl) -> None:
    sink = Collector()
    result = crawl(source(site), sink)
    assert (result.items, result.errors) == (3, 0)
    assert site.posts_fetched() == ["/complaint/1.html", "/complaint/2.html", "/complaint/3.html"]
    assert "/about.html" not in site.fetched
    post = sink.posts[post_id("tousu-sitemap", site.base + "/complaint/2.html")]
    assert post.title == "投诉2：理赔被拒" and post.text == "安心e生医疗险第2单拒赔"


def test_newest_first_within_the_per_crawl_limit(site: Site, crawl) -> None:
    crawl(source(site, max_pages=2), Collector())
    assert site.posts_fetched() == ["/complaint/1.html", "/complaint/2.html"]  # not the 28th


def test_a_repeat_crawl_fetches_only_pages_whose_lastmod_moved(
    site: Site, crawl, tmp_path: Path
) -> None:
    store = Store(tmp_path / "y.db")
    try:
        src = source(site)
        memory = StoredMemory(store.crawled, src.name)
        crawl(src, Collector(), YUJING_CRAWL_MEMORY=memory)
        site.fetched.clear()
        crawl(src, Collector(), YUJING_CRAWL_MEMORY=memory)
        assert site.posts_fetched() == []
        site.lastmod[3] = "2026-11-30T10:00:00+08:00"  # edited
        crawl(src, Collector(), YUJING_CRAWL_MEMORY=memory)
        assert site.posts_fetched() == ["/complaint/3.html"]
    finally:
        store.close()


def test_a_page_that_is_no_sitemap_is_an_error(site: Site, crawl) -> None:
    result = crawl(source(site, url=site.base + "/complaint/1.html"), Collector())
    assert result.errors == 1 and "not a sitemap" in (result.last_error or "")


def test_a_bad_follow_pattern_fails_check_config(site: Site) -> None:
    with pytest.raises(ValueError, match="follow: invalid regular expression"):
        source(site, follow="(unclosed")


def test_times_without_a_zone_are_in_the_sources_own_zone(site: Site, crawl) -> None:
    from datetime import UTC, datetime

    url = site.base + "/complaint/2.html"
    sink = Collector()
    crawl(source(site), sink)  # the config's zone: Asia/Shanghai
    assert sink.posts[post_id("tousu-sitemap", url)].published_at == datetime(
        2026, 11, 30, 1, 2, tzinfo=UTC
    )
    sink = Collector()
    crawl(source(site, timezone="Europe/London"), sink)  # a site abroad: GMT in November
    assert sink.posts[post_id("tousu-sitemap", url)].published_at == datetime(
        2026, 11, 30, 9, 2, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="unknown time zone 'Asia/Shangai'"):
        source(site, timezone="Asia/Shangai")


def test_a_field_may_take_only_what_a_regex_picks_from_its_text(site: Site, crawl) -> None:
    from datetime import UTC, datetime

    detail = {
        "title": "h1.t::text",
        "text": "div.body",
        "published": "div.info",
        "views": "div.info",
        "comments": "div.info",
        "re": {
            "published": r"发表于\s*([\d-]+ [\d:]+)",
            "views": r"阅读\s*(\S+)",
            "comments": r"回复 \d+",
        },
    }
    sink = Collector()
    crawl(source(site, detail=detail), sink)
    post = sink.posts[post_id("tousu-sitemap", site.base + "/complaint/2.html")]
    assert post.published_at == datetime(2026, 11, 29, 0, 2, tzinfo=UTC)  # 08:02 in Shanghai
    assert post.reach.views == 12000 and post.reach.comments == 2  # "1.2万"; no group: the match
    with pytest.raises(ValueError, match="re.views: invalid regular expression"):
        source(site, detail={**detail, "re": {"views": "阅读(("}})
