"""Forum boards described entirely by a ``ForumSource``: list page -> thread pages.

Adding a board is a config change: ``list.link`` finds thread links, ``list.next`` the next list
page, or ``{page}`` in the URL numbers them (either way up to ``max_pages``), and ``detail.*``
the fields of a thread.

With a crawl memory (``YUJING_CRAWL_MEMORY``) the crawl is incremental (``crawlers.incremental``):
only new or changed threads are fetched, and paging stops at a list page with nothing new.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

from parsel import Selector
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from yujing.config import ForumSource, selector_problems

from ..extract import extract_text, select
from ..incremental import REMEMBER, Why
from ..items import PostItem
from ..run import SpiderCollector
from .base import ENTRY, IncrementalSpider, Problem, coerce_source, search_keywords
from .detail import detail_item

__all__ = ["ForumCollector", "ForumSpider"]


class ForumSpider(IncrementalSpider):
    name = "forum"

    def __init__(
        self,
        source: ForumSource | str | None = None,
        keywords: list[str] | None = None,
        *args: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.source: ForumSource = coerce_source(source, ForumSource)
        # A search page as the list: one entry request per product name and alias.
        self.keywords = search_keywords(self.source, keywords)
        # Per-source name: log lines read "forum.weiquan-bbs: ...", not just "forum: ...".
        self.name = f"{self.name}.{self.source.name}"
        selectors = {
            **{f"list.{k}": v for k, v in self.source.list.model_dump().items()},
            **{f"detail.{k}": v for k, v in self.source.detail.selectors().items()},
        }
        problems = selector_problems(selectors)
        if problems:
            raise ValueError(f"source {self.source.name!r}: " + "; ".join(problems))

    async def start(self) -> AsyncIterator[Request]:
        for keyword in self.keywords:
            url = str(self.source.url)
            if keyword is not None:
                url = url.replace("{keyword}", quote(keyword))
            yield Request(
                self._numbered(url, 1),
                callback=self.parse_list,
                errback=self.on_request_error,
                cb_kwargs={"page": 1, "template": url},
                meta={ENTRY: True},
            )

    def _numbered(self, template: str, page: int) -> str:
        """The URL of list page ``page`` (1 for the first) of a numbered list."""
        return template.replace("{page}", str(self.source.first_page + page - 1))

    def parse_list(self, response: Response, page: int, template: str = "") -> Iterator[Request]:
        response = self.decoded(response, self.source.encoding)
        if response is None:
            return
        entries = self._entries(response)
        if not entries and page > 1 and self.source.numbered:
            self.logger.debug("%s: an empty list page, the last one", response.url)
            return  # past the last numbered page: the list ends here
        if not entries:
            # A board with no threads is a changed layout far more often than an empty board.
            self.note_error(
                f"GET {response.url}: list.link matched nothing (has the site's layout changed?)",
                Problem.NO_ITEMS,
            )
            return
        fresh = False
        for link, signature in entries:
            # follow takes an <a> element as well as an href string, so both selector styles work.
            request = response.follow(
                link, callback=self.parse_detail, errback=self.on_request_error
            )
            why = self.freshness.why_fetch(request.url, signature)
            if why is None:
                self.crawler.stats.inc_value("yujing/known_skipped")
                continue
            fresh = fresh or why is not Why.DUE
            self.crawler.stats.inc_value(f"yujing/fetched_{why.value}")
            request.meta[REMEMBER] = (request.url, signature)
            yield request
        if self.freshness.incremental and not fresh:
            # Nothing new or changed here: the pages after this one were seen too.
            self.crawler.stats.inc_value("yujing/paging_stopped")
            return
        if page >= self.source.max_pages:
            return
        if self.source.numbered:
            yield Request(
                self._numbered(template, page + 1),
                callback=self.parse_list,
                errback=self.on_list_page_error,
                cb_kwargs={"page": page + 1, "template": template},
            )
        elif self.source.list.next:
            following = select(response, self.source.list.next)
            if following:
                yield response.follow(
                    following[0],
                    callback=self.parse_list,
                    errback=self.on_request_error,
                    cb_kwargs={"page": page + 1},
                )

    def on_list_page_error(self, failure: Failure) -> None:
        """A numbered list page after the first that is not there (404) is past the end."""
        if failure.check(HttpError) and failure.value.response.status == 404:
            self.logger.debug("%s: no such list page, the last one", failure.request.url)
            return
        self.on_request_error(failure)

    def _entries(self, response: TextResponse) -> list[tuple[Selector | str, str | None]]:
        """(link, signature) per list entry; the signature is None without markers."""
        lst = self.source.list
        if not lst.item:
            return [(link, None) for link in select(response, lst.link)]
        entries: list[tuple[Selector | str, str | None]] = []
        markers = [q for q in (lst.replies, lst.last_reply) if q]
        for item in select(response, lst.item):
            links = select(item, lst.link)
            if not links:
                continue
            shown = [extract_text(item, q) or "" for q in markers]
            entries.append((links[0], "|".join(shown) if markers else None))
        return entries

    def parse_detail(self, response: Response) -> Iterator[PostItem]:
        response = self.decoded(response, self.source.encoding)
        if response is None:
            return
        yield detail_item(response, self.source.name, self.source.detail)


class ForumCollector(SpiderCollector):
    """A forum, crawled incrementally; a search page (``keywords: true``) once per product name."""

    spider = ForumSpider
    searches = True
