"""JSON API sources, crawled over real HTTP from a local stand-in API: request templates with
tokens from the environment, fields by JMESPath, cursor and page paging, one search per product
name, and a stop at pages already stored."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from yujing.config import ApiSource
from yujing.records import Reach, hash_author, post_id

from .conftest import SALT, Collector


def status(n: int, text: str) -> dict[str, Any]:
    return {
        "mid": 5000 + n,
        "text": text,
        "created_at": f"2026-11-30 10:{n:02d}",
        "user": {"screen_name": f"用户{n}", "id": 700 + n},
        "stats": {"reposts": n * 10, "comments": n, "attitudes": 2 * n},
    }


PAGES = {  # cursor -> (statuses, next cursor)
    "": ([status(1, "安心e生医疗险理赔被拒，太过分了"), status(2, "续保涨价一倍")], "c2"),
    "c2": ([status(3, "客服电话一直打不通")], "c3"),
    "c3": ([status(4, "第三页的帖子")], ""),
}


class Api:
    def __init__(self, server: ThreadingHTTPServer):
        self.server = server
        self.log: list[dict[str, Any]] = []

    @property
    def requests(self) -> list[dict[str, Any]]:
        return [r for r in self.log if r["path"] != "/robots.txt"]

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"


@pytest.fixture
def api() -> Iterator[Api]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    stand_in = Api(server)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            stand_in.log.append(
                {"path": parts.path, "query": query, "headers": dict(self.headers), "body": body}
            )
            if self.headers.get("Authorization") != "Bearer t0ken":
                self._send(401, {"error": "invalid_token"})
                return
            if parts.path == "/search":
                kw = (
                    query.get("q")
                    or json.loads(body or b"{}").get("q")
                    or self.headers.get("X-Query")
                )
                page = int(query.get("page", "1"))
                found = {**status(page, f"{kw}的第{page}页：理赔太慢"), "mid": f"{kw}-{page}"}
                items = [found] if page <= 2 else []
                self._send(200, {"data": {"statuses": items}})
                return
            if parts.path == "/broken":
                self._send(200, {"data": {"renamed": []}})
                return
            statuses, following = PAGES[query.get("max_id", "")]
            self._send(200, {"data": {"statuses": statuses, "next_cursor": following}})

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self._answer(b"")

        def do_POST(self) -> None:  # noqa: N802
            self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _send(self, code: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stand_in
    server.shutdown()
    server.server_close()


def source(api: Api, path: str = "/timeline", **changes: Any) -> ApiSource:
    config: dict[str, Any] = {
        "name": "weibo-like",
        "type": "api",
        "url": api.url(path),
        "params": {"count": 20},
        "headers": {"Authorization": "Bearer t0ken"},
        "items": "data.statuses",
        "fields": {
            "id": "mid",
            "text": "text",
            "author": "user.screen_name",
            "published": "created_at",
            "reposts": "stats.reposts",
            "comments": "stats.comments",
            "likes": "stats.attitudes",
        },
        "link": "https://weibo.example.cn/status/{id}",
        "paging": {"cursor": "data.next_cursor", "cursor_param": "max_id"},
        "max_pages": 5,
    }
    config.update(changes)
    return ApiSource.model_validate(config)


def test_cursor_paging_fields_and_headers(api: Api, crawl) -> None:
    sink = Collector()
    result = crawl(source(api), sink)
    assert (result.items, result.accepted, result.errors) == (4, 4, 0)
    assert [r["query"].get("max_id") for r in api.requests] == [None, "c2", "c3"]
    assert all(r["query"]["count"] == "20" for r in api.requests)
    posts = {p.id: p for p in sink.posts.values()}
    first = posts[post_id("weibo-like", "5001")]
    assert first.url == "https://weibo.example.cn/status/5001"
    assert first.text == "安心e生医疗险理赔被拒，太过分了"
    assert first.author == hash_author("用户1", SALT)
    assert first.published_at == datetime(2026, 11, 30, 2, 1, tzinfo=UTC)  # site time, UTC+8
    assert first.reach == Reach(views=None, comments=1, reposts=10, likes=2)


def test_paging_stops_at_a_page_already_stored(api: Api, crawl) -> None:
    stored = {"5001", "5002"}
    sink = Collector()
    result = crawl(source(api), sink, YUJING_KNOWN_URL=lambda native: native in stored)
    assert len(api.requests) == 1  # the first page held nothing new: older pages are not asked
    assert result.errors == 0


def test_one_search_per_product_name_by_post(api: Api, crawl) -> None:
    search = source(
        api,
        "/search",
        method="POST",
        params={},
        body={"q": "{keyword}", "sort": "time"},
        keywords=True,
        paging={"page_param": "page"},
        max_pages=3,
        link=None,
    )
    sink = Collector()
    result = crawl(search, sink, keywords=("安心e生医疗险", "安心e生"))
    bodies = sorted(
        (json.loads(r["body"])["q"], r["query"]["page"]) for r in api.requests if r["body"]
    )
    # Each name is searched page by page until a page comes back empty (page 3).
    assert bodies == [(kw, p) for kw in ("安心e生", "安心e生医疗险") for p in ("1", "2", "3")]
    assert result.items == 4 and result.errors == 0
    texts = sorted(p.text for p in sink.posts.values())
    assert "安心e生医疗险的第1页：理赔太慢" in texts


def test_a_keyword_sent_only_in_a_header_is_still_one_search_per_name(api: Api, crawl) -> None:
    # The duplicate filter sees URL and body only: the two searches must not look alike to it.
    search = source(
        api,
        "/search",
        params={},
        headers={"Authorization": "Bearer t0ken", "X-Query": "{keyword}"},
        keywords=True,
        paging={"page_param": "page"},
        max_pages=1,
        link=None,
    )
    result = crawl(search, Collector(), keywords=("anxin", "anxin-e"))
    assert sorted(r["headers"]["X-Query"] for r in api.requests) == ["anxin", "anxin-e"]
    assert result.items == 2 and result.errors == 0


def test_a_changed_response_shape_is_an_error_not_a_quiet_day(api: Api, crawl) -> None:
    result = crawl(source(api, "/broken"), Collector())
    assert result.errors == 1 and "data.statuses" in (result.last_error or "")


def test_a_refused_token_is_an_error_naming_the_status(api: Api, crawl) -> None:
    result = crawl(source(api, headers={"Authorization": "Bearer wrong"}), Collector())
    assert result.errors == 1 and "HTTP 401" in (result.last_error or "")


def test_bad_paths_and_paging_fail_check_config() -> None:
    base = {"name": "x", "type": "api", "url": "https://api.example.cn/s", "fields": {"text": "t"}}
    with pytest.raises(ValueError, match="items: invalid JMESPath"):
        ApiSource.model_validate({**base, "items": "data.[statuses"})
    with pytest.raises(ValueError, match="cursor_param"):
        ApiSource.model_validate({**base, "items": "d", "paging": {"cursor": "next"}})
    with pytest.raises(ValueError, match=r"needs \{id\}"):
        ApiSource.model_validate({**base, "items": "d", "link": "https://x.cn/p"})
