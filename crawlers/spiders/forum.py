"""Forum boards described entirely by a ``ForumSource``: list page -> thread pages.

Adding a board is a config change: ``list.link`` finds thread links, ``list.next`` the next list
page (followed up to ``max_pages``), and ``detail.*`` the fields of a thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Request, Response

from yujing.config import ForumSource, selector_problems

from ..extract import extract_text, select
from ..items import PostItem
from .base import ENTRY, SourceSpider, coerce_source

__all__ = ["ForumSpider"]


class ForumSpider(SourceSpider):
    name = "forum"

    def __init__(self, source: ForumSource | str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.source: ForumSource = coerce_source(source, ForumSource)
        # Per-source name: log lines read "forum.weiquan-bbs: ...", not just "forum: ...".
        self.name = f"{self.name}.{self.source.name}"
        selectors = {
            **{f"list.{k}": v for k, v in self.source.list.model_dump().items()},
            **{f"detail.{k}": v for k, v in self.source.detail.model_dump().items()},
        }
        problems = selector_problems(selectors)
        if problems:
            raise ValueError(f"source {self.source.name!r}: " + "; ".join(problems))

    async def start(self) -> AsyncIterator[Request]:
        yield Request(
            self.source.url,
            callback=self.parse_list,
            errback=self.on_request_error,
            cb_kwargs={"page": 1},
            meta={ENTRY: True},
        )

    def parse_list(self, response: Response, page: int) -> Iterator[Request]:
        response = self.decoded(response, self.source.encoding)
        if response is None:
            return
        links = select(response, self.source.list.link)
        if not links:
            self.logger.warning("no thread links on %s (list.link matched nothing)", response.url)
        # Threads already stored are not fetched again: a board is re-read every few minutes.
        # YUJING_KNOWN_URL(native id) -> bool; a thread's native id is its URL (parse_detail).
        known = self.settings.get("YUJING_KNOWN_URL")
        # follow_all takes <a> elements as well as href strings, so both selector styles work.
        for request in response.follow_all(
            links, callback=self.parse_detail, errback=self.on_request_error
        ):
            if known is not None and known(request.url):
                self.crawler.stats.inc_value("yujing/known_skipped")
                continue
            yield request
        if self.source.list.next and page < self.source.max_pages:
            following = select(response, self.source.list.next)
            if following:
                yield response.follow(
                    following[0],
                    callback=self.parse_list,
                    errback=self.on_request_error,
                    cb_kwargs={"page": page + 1},
                )

    def parse_detail(self, response: Response) -> Iterator[PostItem]:
        response = self.decoded(response, self.source.encoding)
        if response is None:
            return
        d = self.source.detail
        yield PostItem(
            source=self.source.name,
            url=response.url,
            native_id=response.url,
            title=extract_text(response, d.title) or "",
            text=extract_text(response, d.text, multiline=True) or "",
            author=extract_text(response, d.author),
            published=extract_text(response, d.published),
            views=extract_text(response, d.views),
            comments=extract_text(response, d.comments),
            reposts=extract_text(response, d.reposts),
        )
