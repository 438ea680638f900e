"""Every web source is bounded: a response over max_response_mb is not downloaded (and the run
says why), a post's text, title and fields are cut at the source's limits (and its extras say
what it had), and past max_items the rest of a crawl waits for the next one."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from yujing.config import FeedSource, WebLimits
from yujing.crawlers.limits import bounded
from yujing.records import Post

from .conftest import Collector

ITEM = "<item><title>{title}</title><link>https://bbs.example.cn/t/{i}</link><description>{text}</description></item>"


def rss(items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        ITEM.format(i=i, title=title, text=text) for i, (title, text) in enumerate(items)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


@pytest.fixture
def served() -> Iterator[dict[str, bytes]]:
    """Paths to bodies, served on 127.0.0.1; the dict's "base" key is the server's URL."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up on a body too large
                self.wfile.write(body or b"")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pages["base"] = f"http://127.0.0.1:{server.server_address[1]}".encode()
    yield pages
    server.shutdown()
    server.server_close()


def source(served: dict[str, bytes], path: str, **limits: Any) -> FeedSource:
    return FeedSource(
        name="news",
        type="feed",
        url=served["base"].decode() + path,
        delay=0,
        limits=WebLimits(**limits),
    )


def test_a_response_over_the_limit_is_not_downloaded_and_the_run_says_why(
    served: dict[str, bytes], crawl
) -> None:
    served["/big.xml"] = rss([("安心e生理赔难", "拒赔" * 400_000)])  # about 2.4 MB
    sink = Collector()
    result = crawl(source(served, "/big.xml", max_response_mb=1), sink)
    assert result.items == 0 and result.errors == 1 and not sink.posts
    assert "response larger than 1 MB, not downloaded" in (result.last_error or "")
    assert "limits.max_response_mb" in (result.last_error or "")


def test_a_huge_item_is_cut_and_says_what_it_had(served: dict[str, bytes], crawl) -> None:
    served["/feed.xml"] = rss([("标题" * 2000, "安心e生拒赔，" * 300_000)])  # 1.8 M characters
    sink = Collector()
    result = crawl(source(served, "/feed.xml", max_text_chars=5_000, max_title_chars=100), sink)
    assert (result.items, result.errors) == (1, 0)
    [post] = sink.posts.values()
    assert len(post.text) == 5_000 and post.text.startswith("安心e生拒赔")
    assert len(post.title) == 100 and post.extras["title_truncated_from"] == 4000
    # The markup was cut before parsing (8 characters of markup per character allowed), so the
    # length said is what reached the text, at most that.
    assert 5_000 < post.extras["truncated_from"] <= 5_000 * 8


def test_past_max_items_the_rest_wait_for_the_next_crawl(served: dict[str, bytes], crawl) -> None:
    served["/many.xml"] = rss([(f"第{i}条", f"安心e生理赔难 {i}") for i in range(30)])
    sink = Collector()
    result = crawl(source(served, "/many.xml", max_items=10), sink)
    assert len(sink.posts) == 10 and result.errors == 0


def post(**changes: Any) -> Post:
    from datetime import UTC, datetime

    at = datetime(2026, 11, 20, tzinfo=UTC)
    fields = {
        "source": "api",
        "url": "https://api.example.cn/1",
        "id": "p1",
        "author": None,
        "title": "t",
        "text": "安心e生",
        "published_at": at,
        "fetched_at": at,
    }
    return Post(**(fields | changes))


def test_fields_past_the_limit_are_dropped_and_long_ones_cut() -> None:
    limits = WebLimits(max_fields=3, max_text_chars=10)
    many = {f"f{i}": "x" * (20 if i == 0 else 1) for i in range(8)}
    cut = bounded(post(extras=many), limits)
    assert cut.extras["fields_dropped"] == 5 and cut.extras["fields_truncated"] == ["f0"]
    assert cut.extras["f0"] == "x" * 10 and "f5" not in cut.extras
    untouched = post(extras={"a": 1})
    assert bounded(untouched, limits) is untouched
