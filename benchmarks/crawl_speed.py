"""Pages per second crawling a local board, beside a bare Scrapy spider with the same settings.

    python benchmarks/crawl_speed.py                   # a board of 10,000 threads, 50 a page
    python benchmarks/crawl_speed.py --threads 2000

The board of ``repeat_crawl`` (list pages linking the next, one page per thread) is served on
127.0.0.1 and crawled twice in one process, in this order (after each crawl has run once over a
small board, so that neither pays the process's first crawl):

* the baseline: a bare ``scrapy.Spider`` that follows the same links and yields each thread's
  title and text as a dict, with yujing's crawl settings and no item pipeline;
* yujing's forum spider through ``crawl_source`` into the daemon's own intake (understanding,
  identity and copies, and the store, a batch per commit), as the daemon runs it: its posts in
  batches, understood in a worker process where the machine has more than one CPU. As in a
  daemon that has crawled before, the worker is up and the daemon's own understander has
  understood a post (its tables are built at the first post, once per process); what starting
  them costs (a few seconds, once per daemon) is not in the time.

Both share the local server, so what it costs weighs on both alike. The goal is at least 0.9 of
the baseline's pages per second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from repeat_crawl import QUIET, Board
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.http import Request, Response

from yujing.app.ingest_workers import usable_cpus, warm_up
from yujing.app.intake import Intake
from yujing.app.reactor import run_in_reactor
from yujing.app.understanding import Understanding
from yujing.config import ForumSource, load_config
from yujing.crawlers.run import crawl_settings, crawl_source
from yujing.detector.understand import understander_for
from yujing.records import Post
from yujing.store import Store

ROOT = Path(__file__).resolve().parents[1]


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, first: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.first = first

    async def start(self) -> AsyncIterator[Request]:
        yield Request(self.first, callback=self.parse_list)

    def parse_list(self, response: Response) -> Iterator[Request]:
        for href in response.css("a.t::attr(href)").getall():
            yield response.follow(href, callback=self.parse_thread)
        following = response.css("a.nxt::attr(href)").get()
        if following:
            yield response.follow(following, callback=self.parse_list)

    def parse_thread(self, response: Response) -> Iterator[dict[str, str]]:
        yield {
            "url": response.url,
            "title": response.css("h1::text").get() or "",
            "text": " ".join(response.css("p ::text").getall()),
        }


WARM_UP_THREADS = 200


def entry(server: Any, board: Board) -> tuple[str, ForumSource]:
    """The first list page of ``board`` served by ``server``, and yujing's source for it."""
    host, port = server.server_address[:2]
    first = f"http://{host}:{port}/list/1.html"
    source = ForumSource.model_validate(
        {
            "name": "bench",
            "type": "forum",
            "url": first,
            "delay": 0,
            "concurrency": 8,
            "max_pages": board.pages(),
            "limits": {"max_items": len(board.replies)},  # the whole board, as the baseline
            "list": {"link": "a.t", "next": "a.nxt::attr(href)"},
            "detail": {"title": "h1::text", "text": "p"},
        }
    )
    return first, source


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--per-page", type=int, default=50)
    args = parser.parse_args()

    board = Board(args.threads, args.per_page)
    server = board.serve()
    first, source = entry(server, board)
    # Each crawl runs once over a small board first: neither then pays in its time what the
    # process's first crawl costs (imports, first connections), which would fall on the first.
    small = Board(WARM_UP_THREADS, args.per_page)
    small_server = small.serve()
    small_first, small_source = entry(small_server, small)
    same = {**QUIET, "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "ROBOTSTXT_OBEY": False}
    config = load_config(ROOT / "config" / "yujing.yaml")

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        understander = understander_for(config)
        intake = Intake(understander, store)
        warm_up(understander)  # a running daemon's has understood posts before

        async def bare(first: str) -> tuple[float, float, int]:
            settings = crawl_settings(None, salt="s", timezone="Asia/Shanghai", overrides=same)
            settings.set("ITEM_PIPELINES", {}, priority="cmdline")
            runner = AsyncCrawlerRunner(settings)
            crawler = runner.create_crawler(BareSpider)
            t, cpu = time.perf_counter(), time.process_time()
            await runner.crawl(crawler, first=first)
            took, cpu = time.perf_counter() - t, time.process_time() - cpu
            return took, cpu, int(crawler.stats.get_value("item_scraped_count", 0))

        async def ours() -> tuple[float, float, int]:
            understanding = Understanding(config)
            await understanding.ready()  # a running daemon's started at its first large crawl
            t, cpu = time.perf_counter(), time.process_time()

            async def accept_crawled(batch: list[Post]) -> list[bool]:  # as the daemon's
                return intake.accept_many(batch, *await understanding.new_of(store, batch))

            try:
                result = await crawl_source(
                    source,
                    accept_crawled,
                    salt="s",
                    timezone="Asia/Shanghai",
                    settings_overrides=same,
                )
            finally:
                understanding.close()
            nonlocal offloaded
            offloaded = understanding.batches
            return time.perf_counter() - t, time.process_time() - cpu, result.accepted

        async def both() -> list[tuple[str, float, float, int]]:
            await bare(small_first)
            await crawl_source(
                small_source, None, salt="s", timezone="Asia/Shanghai", settings_overrides=same
            )
            return [
                ("bare Scrapy spider (baseline)", *await bare(first)),
                ("yujing", *await ours()),
            ]

        offloaded = 0

        try:
            rows = run_in_reactor(both)
        finally:
            store.close()
            server.shutdown()
            small_server.shutdown()
    pages = args.threads + board.pages()
    print(f"board: {args.threads:,} threads, {board.pages()} list pages, served on 127.0.0.1\n")
    # CPU seconds of this process (a worker's aside): what the crawl costs the event loop,
    # less swayed than the wall clock by what else the machine runs.
    print(f"{'crawl':<32}{'seconds':>9}{'pages/s':>10}{'posts':>8}{'cpu s':>8}")
    for name, seconds, cpu, posts in rows:
        print(f"{name:<32}{seconds:>9.1f}{pages / seconds:>10,.0f}{posts:>8,}{cpu:>8.1f}")
    print(f"\nbatches understood by a worker: {offloaded} (CPUs usable: {usable_cpus()})")
    ratio = rows[0][1] / rows[1][1]
    print(f"yujing at {ratio:.2f} of the bare spider's pages/s (goal: at least 0.9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
