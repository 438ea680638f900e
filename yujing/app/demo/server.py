"""The demo world's web server: a GBK forum, an RSS feed, news pages and robots.txt."""

from __future__ import annotations

import math
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import render

if TYPE_CHECKING:
    from .world import DemoWorld

__all__ = ["DemoServer"]

PAGE_SIZE = 20  # threads per list page
FEED_SIZE = 50  # items in the feed, newest first


class DemoServer(ThreadingHTTPServer):
    """Serves one world on 127.0.0.1, on a free port."""

    daemon_threads = True

    def __init__(self, world: DemoWorld):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.world = world


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer
    server_version = "DemoForum/1.0"

    def do_GET(self) -> None:  # the name http.server dispatches to
        world = self.server.world
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
        if path == "/":
            return self._html(render.index_page(world.stats()), "utf-8")
        if path == "/forum/list":
            return self._forum_list(world, parse_qs(parts.query).get("page", ["1"])[0])
        if path == "/feed.xml":
            world.count("feed")
            body = render.rss(world.listing("feed")[:FEED_SIZE], world.url).encode()
            return self._send(200, body, "application/rss+xml; charset=utf-8")
        head, _, tail = path.rpartition("/")
        if head in ("/forum/thread", "/news") and tail.isdigit():
            channel = "forum" if head == "/forum/thread" else "feed"
            post = world.find(channel, int(tail))
            if post is not None:
                world.count("thread" if channel == "forum" else "news")
                if channel == "feed":
                    return self._html(render.news_page(post), "utf-8")
                views, comments = post.reach(world.now())
                return self._html(render.forum_thread(post, views, comments, post.replies), "gbk")
        self._send(404, "未找到页面\n".encode(), "text/plain; charset=utf-8")

    def _forum_list(self, world: DemoWorld, raw_page: str) -> None:
        posts = world.listing("forum")
        pages = max(1, math.ceil(len(posts) / PAGE_SIZE))
        page = int(raw_page) if raw_page.isdigit() else 0
        if not 1 <= page <= pages:
            return self._send(404, "没有这一页\n".encode(), "text/plain; charset=utf-8")
        world.count("list")
        now = world.now()
        chunk = posts[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        self._html(render.forum_list([(p, *p.reach(now)) for p in chunk], page, pages), "gbk")

    def _html(self, text: str, charset: str) -> None:
        # xmlcharrefreplace: a character GBK lacks still reaches the reader, as an entity.
        self._send(200, text.encode(charset, "xmlcharrefreplace"), f"text/html; charset={charset}")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo's console belongs to the daemon's output
