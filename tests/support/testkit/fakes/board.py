"""A forum board and a feed whose contents a test changes between crawls.

``Board`` serves list pages (most recently answered thread first, then newest, ``per_page`` a
page, each linking the next)
and thread pages, as Discuz-style boards do: each list entry shows the thread's reply count and
last-reply time. A test adds threads, answers or edits them, or breaks the layout, and reads
which paths were asked for. ``Feed`` serves an RSS feed with an ETag and a Last-Modified and
answers a conditional GET that names them with 304, as a web server does.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from ._http import FakeServer, Recorded, Response

__all__ = ["Board", "Feed", "Thread", "board_config"]

HTML = {"Content-Type": "text/html; charset=utf-8"}


@dataclass
class Thread:
    id: int
    title: str
    text: str
    replies: int = 0
    last_reply: str = "2026-11-20 10:00"


class Board(FakeServer):
    def __init__(self, per_page: int = 3) -> None:
        super().__init__()
        self.per_page = per_page
        self.threads: list[Thread] = []  # newest first
        self.layout = "v1"  # "v2": the site was redesigned, the old selectors find nothing
        self.redirects: dict[str, str] = {}  # path -> where it redirects (a loop, say)
        self.endless: set[str] = set()  # paths that redirect to a new URL every time

    def add(self, title: str, text: str, **kw: Any) -> Thread:
        thread = Thread(len(self.threads) + 101, title, text, **kw)
        self.threads.insert(0, thread)
        return thread

    def thread(self, tid: int) -> Thread:
        return next(t for t in self.threads if t.id == tid)

    def paths(self, prefix: str = "") -> list[str]:
        return [r.path for r in self.requests if r.path.startswith(prefix)]

    def default_headers(self, request: Recorded) -> dict[str, str]:
        return HTML

    def handle(self, request: Recorded) -> Response:
        path = request.path
        if path in self.redirects:
            return Response(302, "", {"Location": self.redirects[path]})
        if path in self.endless:
            hop = int(request.query.get("hop", "0")) + 1
            return Response(302, "", {"Location": f"{path}?hop={hop}"})
        if path.startswith("/board/list-"):
            page = int(path.removeprefix("/board/list-").removesuffix(".html"))
            return Response(200, self._list(page))
        if path.startswith("/board/t-"):
            tid = int(path.removeprefix("/board/t-").removesuffix(".html"))
            found = [t for t in self.threads if t.id == tid]
            if found:
                return Response(200, self._detail(found[0]))
        return Response(404, "<h1>404</h1>")

    def _list(self, page: int) -> str:
        start = (page - 1) * self.per_page
        ordered = sorted(self.threads, key=lambda t: (t.last_reply, t.id), reverse=True)
        shown = ordered[start : start + self.per_page]
        cls = "threads" if self.layout == "v1" else "topic-list"
        rows = "".join(
            f'<li class="thread"><a class="subject" href="t-{t.id}.html">{escape(t.title)}</a>'
            f' <span class="replies">{t.replies}</span> <span class="last">{t.last_reply}</span>'
            "</li>"
            for t in shown
        )
        more = start + self.per_page < len(self.threads)
        nxt = f'<a class="nxt" href="list-{page + 1}.html">下一页</a>' if more else ""
        return f'<html><body><ul class="{cls}">{rows}</ul>{nxt}</body></html>'

    def _detail(self, t: Thread) -> str:
        return (
            f'<html><body><h1>{escape(t.title)}</h1><div class="body">{escape(t.text)}</div>'
            f'<span class="time">{t.last_reply}</span></body></html>'
        )


def board_config(board: Board, name: str = "board", **changes: Any) -> dict[str, Any]:
    """A forum source for ``board`` that reads each entry's reply count and last reply."""
    config: dict[str, Any] = {
        "name": name,
        "type": "forum",
        "url": board.base + "/board/list-1.html",
        "delay": 0,
        "max_pages": 5,
        "list": {
            "item": "ul.threads li.thread",
            "link": "a.subject",
            "next": "a.nxt::attr(href)",
            "replies": "span.replies::text",
            "last_reply": "span.last::text",
        },
        "detail": {"title": "h1::text", "text": "div.body", "published": "span.time::text"},
    }
    config.update(changes)
    return config


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>投诉平台</title><link>{base}/</link>
{items}</channel></rss>"""
ITEM = """<item><guid>{guid}</guid><title>{title}</title><link>{base}/c/{guid}</link>
<description>{text}</description><pubDate>Fri, 20 Nov 2026 02:00:00 GMT</pubDate></item>"""


class Feed(FakeServer):
    """An RSS feed at /feed.xml; its ETag changes whenever an entry is added."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[str, str, str]] = []  # (guid, title, text)
        self.last_modified = "Fri, 20 Nov 2026 02:00:00 GMT"

    @property
    def etag(self) -> str:
        return f'"v{len(self.entries)}"'

    def add(self, guid: str, title: str, text: str, modified: str) -> None:
        self.entries.append((guid, title, text))
        self.last_modified = modified

    def default_headers(self, request: Recorded) -> dict[str, str]:
        return {"Content-Type": "application/rss+xml; charset=utf-8"}

    def handle(self, request: Recorded) -> Response:
        if request.path != "/feed.xml":
            return Response(404, "")
        validators = {"ETag": self.etag, "Last-Modified": self.last_modified}
        # RFC 9110 13.1.2-3: If-None-Match decides when present; If-Modified-Since otherwise.
        match = request.headers.get("If-None-Match")
        since = request.headers.get("If-Modified-Since")
        if (match is not None and match == self.etag) or (
            match is None and since == self.last_modified
        ):
            return Response(304, b"", validators)
        items = "".join(
            ITEM.format(guid=g, title=escape(t), text=escape(x), base=self.base)
            for g, t, x in self.entries
        )
        return Response(200, RSS.format(base=self.base, items=items), validators)
