"""A site's search page as a forum list: searched once per product name and alias, over real
HTTP from a local stand-in, each result thread fetched once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from yujing.config import Config, ForumSource

from .conftest import Collector

RESULTS = {"安心e生医疗险": ["101", "102"], "安心e生": ["102", "103"]}


class Search:
    def __init__(self) -> None:
        self.queries: list[str] = []
        self.threads: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                parts = urlsplit(self.path)
                if parts.path == "/search":
                    q = parse_qs(parts.query)["q"][0]
                    stand_in.queries.append(q)
                    links = "".join(
                        f'<li><a class="t" href="/t/{n}.html">帖子{n}</a></li>'
                        for n in RESULTS.get(q, [])
                    )
                    body = f"<html><body><ul>{links}</ul></body></html>"
                elif parts.path.startswith("/t/"):
                    n = parts.path[3:-5]
                    stand_in.threads.append(n)
                    body = f"<html><body><h1>帖子{n}</h1><div class='c'>安心e生理赔难 {n}</div>"
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server.RequestHandlerClass = Handler
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


@pytest.fixture
def search() -> Iterator[Search]:
    s = Search()
    yield s
    s.server.shutdown()
    s.server.server_close()


def source(search: Search, **changes: Any) -> ForumSource:
    return ForumSource.model_validate(
        {
            "name": "bbs-search",
            "type": "forum",
            "url": search.base + "/search?q={keyword}",
            "keywords": True,
            "list": {"link": "a.t"},
            "detail": {"title": "h1::text", "text": "div.c"},
            **changes,
        }
    )


def test_each_name_and_alias_is_searched_and_each_result_fetched_once(search, crawl) -> None:
    sink = Collector()
    result = crawl(source(search), sink, keywords=("安心e生医疗险", "安心e生"))
    assert sorted(search.queries) == ["安心e生", "安心e生医疗险"]
    assert sorted(search.threads) == ["101", "102", "103"]  # 102 is found twice, fetched once
    assert (result.items, result.errors) == (3, 0)


def test_a_keyword_source_needs_the_place_for_the_keyword_and_a_product(search) -> None:
    with pytest.raises(ValueError, match=r"needs \{keyword\} in url"):
        source(search, url=search.base + "/search?q=安心")
    with pytest.raises(ValueError, match="no product is configured"):
        Config.model_validate({"sources": [source(search).model_dump(mode="json")]})
