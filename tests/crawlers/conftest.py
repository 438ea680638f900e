"""A local website serving saved pages, and a helper running real crawls against it.

The reactor fixtures (``in_reactor``) live in tests/conftest.py so other suites can share them.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from yujing.config import ApiSource, FeedSource, ForumSource
from yujing.crawlers.run import CrawlResult, crawl_source
from yujing.records import Post

PAGES = (Path(__file__).parent / "pages").resolve()
SALT = "test-salt-0001"
TIMEZONE = "Asia/Shanghai"

# Pages the site sends in another charset than the UTF-8 they are stored in, with the
# Content-Type it claims. /lie/ declares utf-8 but sends GBK, as some old boards do.
TRANSCODED = {
    "/bbs/thread-105.html": ("gbk", "text/html; charset=gbk"),
    "/lie/thread-1.html": ("gbk", "text/html; charset=utf-8"),
    # No charset anywhere: neither in the header nor in the page.
    "/undeclared/list.html": ("utf-8", "text/html"),
    "/undeclared/thread-1.html": ("gbk", "text/html"),
    "/undeclared/thread-2.html": ("big5", "text/html"),
    "/feeds/gbk.xml": ("gbk", "application/rss+xml"),
}
# Pages served as bytes that are text in no encoding.
NOISE = {"/undeclared/thread-3.html"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "stand-ins.xml": "application/rss+xml; charset=utf-8",
}

# Fast and quiet for tests; everything else is the production settings.
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_TIMEOUT": 10,
    "LOG_LEVEL": "WARNING",
    # A crawl's last batch goes to the sink at once, not a second later.
    "YUJING_BATCH_SECONDS": 0.01,
}


class Site:
    """What the test website served: the request paths, in order."""

    def __init__(self, server: ThreadingHTTPServer):
        self.server = server
        self.requests: list[str] = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def fetched(self, prefix: str = "") -> list[str]:
        with self.lock:
            return [p for p in self.requests if p.startswith(prefix)]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            path = self.path.split("?", 1)[0]
            with site.lock:
                site.requests.append(path)
            file = (PAGES / path.lstrip("/")).resolve()
            if PAGES not in file.parents or not file.is_file():
                self._send(404, b"<h1>404 Not Found</h1>", "text/html; charset=utf-8")
                return
            encoding, content_type = TRANSCODED.get(path, ("utf-8", None))
            body = file.read_text(encoding="utf-8").encode(encoding)
            if path in NOISE:
                body = b"<html><body>" + bytes(0x81 + (i * 37) % 0x7E for i in range(400))
            suffix = file.name if file.name in CONTENT_TYPES else file.suffix
            self._send(200, body, content_type or CONTENT_TYPES.get(suffix, "text/plain"))

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    s = Site(server)
    server.RequestHandlerClass = _handler(s)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield s
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on, so connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Collector:
    """A sink like the daemon's store: takes a batch, keeps its new posts, answers False for
    ones it has; ``batches`` are their sizes, in the order taken."""

    posts: dict[str, Post] = field(default_factory=dict)
    batches: list[int] = field(default_factory=list)

    def __call__(self, batch: list[Post]) -> list[bool]:
        self.batches.append(len(batch))
        return [self.take(post) for post in batch]

    def take(self, post: Post) -> bool:
        if post.id in self.posts:
            return False
        self.posts[post.id] = post
        return True

    def by_title(self) -> dict[str, Post]:
        return {p.title: p for p in self.posts.values()}


def forum_source(site: Site, **changes: Any) -> ForumSource:
    """The test board's config; selectors mix CSS and XPath as real configs do."""
    config: dict[str, Any] = {
        "name": "weiquan-bbs",
        "type": "forum",
        "url": site.url("/bbs/list.html"),
        "max_pages": 3,
        "list": {"link": "ul.threads a.subject", "next": "//a[@class='nxt']/@href"},
        "detail": {
            "title": "h1.thread-title::text",
            "text": "div.post-body",
            "author": "//div[@class='post-meta']/a[@class='author']/text()",
            "published": "span.post-time::text",
            "views": "span.views::text",
            "comments": "span.replies",
        },
    }
    config.update(changes)
    return ForumSource.model_validate(config)


def feed_source(site: Site, path: str, name: str = "complaints-feed") -> FeedSource:
    return FeedSource(name=name, type="feed", url=site.url(path))


@pytest.fixture
def crawl(in_reactor: Callable[..., Any]) -> Callable[..., CrawlResult]:
    """``crawl(source, sink)``: one real crawl through crawlers.run, on the test reactor."""

    def run(
        source: ForumSource | FeedSource | ApiSource,
        sink: Callable[[Post], bool] | None,
        *,
        keywords: tuple[str, ...] = (),
        **overrides: Any,
    ) -> CrawlResult:
        coro = crawl_source(
            source,
            sink,
            salt=SALT,
            timezone=TIMEZONE,
            settings_overrides={**TEST_SETTINGS, **overrides},
            keywords=keywords,
        )
        return in_reactor(coro, timeout=60)

    return run
