"""Incremental crawling: fetch what is new or changed, stop paging at what was seen.

A forum board is re-read every few minutes, and almost everything on it was fetched before.
Each list entry is a key (the thread's URL) and a signature (what the entry shows of the
thread's activity: reply count, last reply, when ``list.replies``/``list.last_reply`` are
configured). The crawl memory (``YUJING_CRAWL_MEMORY``, kept in the store by the daemon) holds
each key's signature from when its page was last fetched:

* an entry never seen is fetched;
* a seen entry is fetched again when its signature changed, or when ``revisit`` has passed;
* a list page with nothing new or changed on it ends the paging: boards list newest (or most
  recently answered) first, so the pages after it hold only what was seen too.

A key is remembered once its page has gone through the pipeline (stored, or dropped as empty)
or robots.txt has ruled it out: a page that failed to download is tried again next crawl.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from yujing.records import utcnow
from yujing.store.crawls import Crawled, Seen

__all__ = ["CrawlMemory", "FetchedLog", "Freshness", "StoredMemory", "Why", "REMEMBER"]

# Request meta: (key, signature) to remember once the page has been handled.
REMEMBER = "yujing_remember"


class CrawlMemory(Protocol):
    """One source's crawl state."""

    def seen(self, key: str) -> Seen | None: ...

    def remember(self, key: str, signature: str | None) -> None: ...


class StoredMemory:
    """One source's crawl memory in the store (``store.crawled``).

    Scrapy deep-copies its settings; this passes through as itself, with the store's
    connection, instead of being copied.
    """

    def __init__(self, crawled: Crawled, source: str):
        self.crawled = crawled
        self.source = source

    def seen(self, key: str) -> Seen | None:
        return self.crawled.seen(self.source, key)

    def remember(self, key: str, signature: str | None) -> None:
        self.crawled.remember(self.source, key, signature)

    def __deepcopy__(self, memo: dict[int, Any]) -> StoredMemory:
        return self


class Why(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    DUE = "due"  # unchanged, but its revisit time has come


class Freshness:
    """Decides, per list entry, whether its page is fetched, and why."""

    def __init__(
        self,
        memory: CrawlMemory | None,
        known: Callable[[str], bool] | None,
        revisit: float | None,
        now: datetime | None = None,
    ):
        self.memory = memory
        self.known = known
        self.revisit = timedelta(seconds=revisit) if revisit else None
        self.now = now or utcnow()

    @property
    def incremental(self) -> bool:
        return self.memory is not None

    def why_fetch(self, key: str, signature: str | None) -> Why | None:
        """Why the entry's page should be fetched; None to skip it."""
        stored = self.known is not None and self.known(key)
        if self.memory is None:
            return None if stored else Why.NEW
        seen = self.memory.seen(key)
        if seen is None:
            if not stored:
                return Why.NEW
            # Stored before the crawl state was kept: take the entry as it shows now as seen,
            # rather than fetching every stored thread once more.
            self.memory.remember(key, signature)
            return None
        if signature is not None and seen.signature != signature:
            return Why.CHANGED
        if self.revisit is not None and self.now - seen.fetched_at >= self.revisit:
            return Why.DUE
        return None


class FetchedLog:
    """Remembers the entries whose pages the crawl has handled (``REMEMBER`` in their meta)."""

    def __init__(self, memory: CrawlMemory):
        self.memory = memory

    @classmethod
    def from_crawler(cls, crawler: Crawler, memory: CrawlMemory) -> FetchedLog:
        log = cls(memory)
        crawler.signals.connect(log._handled, signal=signals.item_scraped)
        crawler.signals.connect(log._handled, signal=signals.item_dropped)
        return log

    def remember(self, request: Request) -> None:
        marked = request.meta.get(REMEMBER)
        if marked is not None:
            key, signature = marked
            self.memory.remember(key, signature)

    def _handled(self, item: Any, response: Response | None, spider: Any, **_: Any) -> None:
        if response is not None and response.request is not None:
            self.remember(response.request)
