"""Pages a repeat crawl fetches when nothing is new, beside the crawl before incremental state.

    python benchmarks/repeat_crawl.py                  # a board of 1,000 threads, 20 a page
    python benchmarks/repeat_crawl.py --threads 5000 --per-page 50

A local board (list pages newest first, each linking the next; one page per thread) is crawled
once into a fresh store, then again with nothing changed. Printed in the same run:

* the baseline: the second crawl as it ran before crawl state was kept (stored threads skipped
  by post id, ``YUJING_KNOWN_URL``, but every list page up to ``max_pages`` read);
* the incremental crawl (``YUJING_CRAWL_MEMORY``, as the daemon runs it);
* a third crawl after one thread got a new reply and another was added.

The goal is one list page and no thread for a repeat crawl with nothing new.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from yujing.app.reactor import run_in_reactor
from yujing.config import ForumSource
from yujing.crawlers.incremental import StoredMemory
from yujing.crawlers.run import crawl_source
from yujing.records import Post, post_id
from yujing.store import Store

QUIET = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "ERROR"}


class Board:
    def __init__(self, threads: int, per_page: int):
        self.replies = [0] * threads  # index 0 is the newest thread
        self.per_page = per_page
        self.requests: list[str] = []
        self.lock = threading.Lock()

    def pages(self) -> int:
        return -(-len(self.replies) // self.per_page)

    def list_page(self, page: int) -> str:
        start = (page - 1) * self.per_page
        order = sorted(range(len(self.replies)), key=lambda i: (-self.replies[i], i))
        rows = "".join(
            f'<li><a class="t" href="/t/{len(self.replies) - i}.html">帖子</a>'
            f'<span class="r">{self.replies[i]}</span></li>'
            for i in order[start : start + self.per_page]
        )
        nxt = (
            f'<a class="nxt" href="/list/{page + 1}.html">下一页</a>' if page < self.pages() else ""
        )
        return f"<html><body><ul>{rows}</ul>{nxt}</body></html>"

    def serve(self) -> ThreadingHTTPServer:
        board = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                with board.lock:
                    board.requests.append(self.path)
                if self.path.startswith("/list/"):
                    body = board.list_page(int(self.path[6:-5]))
                elif self.path.startswith("/t/"):
                    n = self.path[3:-5]
                    body = f"<html><h1>第{n}帖</h1><p>安心e生医疗险理赔被拒，第{n}位投诉人。</p></html>"
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def counts(board: Board, since: int) -> tuple[int, int]:
    paths = board.requests[since:]
    return sum(p.startswith("/list/") for p in paths), sum(p.startswith("/t/") for p in paths)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--per-page", type=int, default=20)
    args = parser.parse_args()

    board = Board(args.threads, args.per_page)
    pages = board.pages()
    server = board.serve()
    host, port = server.server_address[:2]
    source = ForumSource.model_validate(
        {
            "name": "bench",
            "type": "forum",
            "url": f"http://{host}:{port}/list/1.html",
            "delay": 0,
            "max_pages": pages,
            "list": {"item": "li", "link": "a.t", "next": "a.nxt::attr(href)", "replies": ".r"},
            "detail": {"title": "h1::text", "text": "p"},
        }
    )
    stored: set[str] = set()

    def sink(post: Post) -> bool:
        new = post.id not in stored
        stored.add(post.id)
        return new

    def known(native_id: str) -> bool:
        return post_id("bench", native_id) in stored

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")

        async def crawl(incremental: bool) -> None:
            overrides: dict[str, Any] = {**QUIET, "YUJING_KNOWN_URL": known}
            if incremental:
                overrides["YUJING_CRAWL_MEMORY"] = StoredMemory(store.crawled, "bench")
            await crawl_source(source, sink, salt="s", timezone="Asia/Shanghai",
                               settings_overrides=overrides)  # fmt: skip

        async def scenario() -> list[tuple[str, int, int]]:
            rows = []
            mark = len(board.requests)
            await crawl(incremental=True)
            rows.append(("first crawl", *counts(board, mark)))
            mark = len(board.requests)
            await crawl(incremental=False)
            rows.append(("repeat, before (baseline)", *counts(board, mark)))
            mark = len(board.requests)
            await crawl(incremental=True)
            rows.append(("repeat, incremental", *counts(board, mark)))
            board.replies[len(board.replies) // 2] += 1  # an old thread answered
            board.replies.insert(0, 0)  # and a new one
            mark = len(board.requests)
            await crawl(incremental=True)
            rows.append(("one answered, one new", *counts(board, mark)))
            return rows

        try:
            rows = run_in_reactor(scenario)
        finally:
            store.close()
            server.shutdown()
    print(f"board: {args.threads} threads, {args.per_page} a page ({pages} list pages)")
    print(f"{'crawl':<28}{'list pages':>12}{'threads':>10}")
    for name, lists, threads in rows:
        print(f"{name:<28}{lists:>12}{threads:>10}")
    print("goal: a repeat crawl with nothing new reads one list page and no thread")
    return 0


if __name__ == "__main__":
    sys.exit(main())
