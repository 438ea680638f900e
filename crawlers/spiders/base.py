"""What every collector shares: building from a source config and recording failures.

Failures go to crawl stats (``yujing/errors``, ``yujing/last_error``) as one sentence naming the
URL and the cause, so ``crawlers.run`` and a plain ``scrapy crawl`` report them the same way.
Beside the sentence, ``yujing/last_problem`` names the kind of failure (``Problem``), which the
daemon turns into words for a source-health alert.
"""

from __future__ import annotations

import codecs
import re
from enum import StrEnum
from typing import Any, Self, TypeVar

from pydantic import BaseModel
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

from ..decoding import UndecodableError, detect_encoding
from ..incremental import FetchedLog, Freshness

__all__ = [
    "IncrementalSpider",
    "search_keywords",
    "SourceSpider",
    "Problem",
    "describe_failure",
    "problem_of",
    "coerce_source",
    "declared_charsets",
]

M = TypeVar("M", bound=BaseModel)

# Entry requests (the configured URL) fail the crawl; a skipped link on a listing does not.
ENTRY = "yujing_entry"


def coerce_source(source: M | str | dict[str, Any] | None, model: type[M]) -> M:
    """The source config; ``scrapy crawl -a source='{...}'`` passes it as JSON text."""
    if source is None:
        raise ValueError(f"a {model.__name__} is required: pass source=... to the spider")
    if isinstance(source, model):
        return source
    if isinstance(source, str):
        return model.model_validate_json(source)
    return model.model_validate(source)


class Problem(StrEnum):
    """What kind of failure a crawl error is."""

    UNREACHABLE = "unreachable"  # refused, unknown host, timed out, connection lost
    HTTP = "http"  # an error status (404, 503...)
    REDIRECT_LOOP = "redirect_loop"  # more redirects than REDIRECT_MAX_TIMES
    NO_ITEMS = "no_items"  # a list page where list.link matched nothing
    NOT_A_FEED = "not_a_feed"
    NOT_JSON = "not_json"  # an API answered something else
    NO_ITEM_LIST = "no_item_list"  # an API's answer has no list where ``items`` points
    UNDECODABLE = "undecodable"  # a charset that cannot be told with confidence
    PARSE = "parse"  # the spider failed on a page
    STORE = "store"  # the sink failed on a post
    OTHER = "other"


def _redirect_loop(failure: Failure) -> bool:
    # RedirectMiddleware gives up on a loop with this IgnoreRequest (REDIRECT_MAX_TIMES).
    return bool(failure.check(IgnoreRequest)) and "max redirections" in str(failure.value)


def problem_of(failure: Failure) -> Problem:
    if isinstance(failure.value, HttpError):
        return Problem.HTTP
    if _redirect_loop(failure):
        return Problem.REDIRECT_LOOP
    if failure.check(
        DownloadConnectionRefusedError,
        tx_error.ConnectionRefusedError,
        CannotResolveHostError,
        tx_error.DNSLookupError,
        DownloadTimeoutError,
        tx_error.TimeoutError,
        tx_error.TCPTimedOutError,
        ResponseDataLossError,
        DownloadFailedError,
        ResponseFailed,
    ):
        return Problem.UNREACHABLE
    return Problem.OTHER


def describe_failure(failure: Failure) -> str:
    """The cause of a failed download in a few words a person on call can act on."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if _redirect_loop(failure):
        return "redirect loop (max redirections reached)"
    if failure.check(DownloadConnectionRefusedError, tx_error.ConnectionRefusedError):
        return "connection refused"
    if failure.check(CannotResolveHostError, tx_error.DNSLookupError):
        return "host name not found"
    if failure.check(DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError):
        return "timed out"
    if failure.check(DownloadCancelledError) and "max size" in str(exc):
        limit = re.search(r"max size \((\d+)\)", str(exc))
        mb = f"{int(limit.group(1)) / 1048576:g} MB" if limit else "the limit"
        return f"response larger than {mb}, not downloaded (the source's limits.max_response_mb)"
    if failure.check(ResponseDataLossError, DownloadFailedError, ResponseFailed):
        return f"connection lost ({exc})" if str(exc) else "connection lost"
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def declared_charsets(response: Response) -> list[str | None]:
    """What the response says its charset is: the byte-order mark, the HTTP header, the page's
    ``<meta>`` (or an XML declaration), most authoritative first."""
    content_type = response.headers.get("Content-Type")
    header = http_content_type_encoding(content_type.decode("latin-1")) if content_type else None
    bom = read_bom(response.body)[0]
    declared = [bom, header, html_body_declared_encoding(response.body)]
    # As browsers do (and Scrapy): "gb2312" means GBK's superset, "iso-8859-1" cp1252, ...
    return [resolve_encoding(name) if name else None for name in declared]


class SourceSpider(Spider):
    """Base for spiders built from a ``yujing.config`` source."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_spider_error, signal=signals.spider_error)
        crawler.signals.connect(spider._on_item_error, signal=signals.item_error)
        crawler.signals.connect(spider._on_request_dropped, signal=signals.request_dropped)
        return spider

    def note_error(self, sentence: str, problem: Problem = Problem.OTHER) -> None:
        self.crawler.stats.inc_value("yujing/errors")
        self.crawler.stats.set_value("yujing/last_error", sentence)
        self.crawler.stats.set_value("yujing/last_problem", problem.value)
        # The daemon tells a failing source once, and reminds of it hourly (``RunLog``); an
        # ERROR here would repeat it at every run. ``scrapy crawl`` shows it with -L DEBUG.
        self.logger.debug(sentence)

    def decoded(self, response: Response, forced: str | None = None) -> TextResponse | None:
        """``response`` as text in the charset it is really in; None (an error noted) when
        that cannot be told with confidence.

        Scrapy reads the header, then ``<meta>``, and guesses only for a page that declares
        nothing; its guess (charset-normalizer's first answer) is often Korean or Japanese for
        a short GBK page. ``crawlers.decoding`` checks the declared charset against the bytes
        and guesses only among plausible Chinese readings. ``forced`` (a source's
        ``encoding:``) overrides everything, for sites that lie.
        """
        if not isinstance(response, TextResponse):
            # Sites that send HTML as application/octet-stream still get parsed as HTML.
            response = HtmlResponse(
                response.url, body=response.body, headers=response.headers, request=response.request
            )
        if forced:
            return response.replace(encoding=forced)
        try:
            encoding = detect_encoding(
                response.body, where=response.url, declared=declared_charsets(response)
            )
        except UndecodableError as exc:
            self.note_error(f"GET {exc}", Problem.UNDECODABLE)
            return None
        if codecs.lookup(encoding).name != codecs.lookup(response.encoding).name:
            response = response.replace(encoding=encoding)
        return response

    def on_request_error(self, failure: Failure) -> None:
        """Errback for every request the spider makes."""
        request: Request = failure.request  # type: ignore[attr-defined]
        if (
            failure.check(IgnoreRequest)
            and not _redirect_loop(failure)
            and not request.meta.get(ENTRY)
        ):
            # robots.txt said no to one link: expected, counted, not an error.
            self.crawler.stats.inc_value("yujing/ignored")
            self.logger.info("skipped %s: %s", request.url, failure.value)
            self.on_skipped(request)
            return
        self.note_error(
            f"{request.method} {request.url}: {describe_failure(failure)}", problem_of(failure)
        )

    def on_skipped(self, request: Request) -> None:
        """A request ruled out on purpose (robots.txt); spiders that keep crawl state note it."""

    def _on_request_dropped(self, request: Request, spider: Spider) -> None:
        # A redirect back to a URL of its own chain is dropped by the duplicate filter without
        # a word, before REDIRECT_MAX_TIMES is ever reached: the page can never be read.
        chain = request.meta.get("redirect_urls") or []
        if spider is self and request.url in chain:
            hops = " -> ".join([*chain, request.url])
            self.note_error(f"GET {chain[0]}: redirect loop ({hops})", Problem.REDIRECT_LOOP)

    def _on_spider_error(self, failure: Failure, response: Response | None, spider: Spider) -> None:
        if spider is self:
            # No response means the failure came from start(), before anything was fetched.
            where = f"parsing {response.url}" if response is not None else "starting the crawl"
            self.note_error(f"{where} failed: {describe_failure(failure)}", Problem.PARSE)

    def _on_item_error(
        self, item: Any, response: Response | None, spider: Spider, failure: Failure
    ) -> None:
        if spider is self:
            where = response.url if response is not None else getattr(item, "url", "?")
            self.note_error(
                f"storing a post from {where} failed: {describe_failure(failure)}", Problem.STORE
            )


def search_keywords(source: Any, keywords: list[str] | None) -> list[str | None]:
    """What a source's entry requests are made for: each product name and alias once when it
    searches them (``keywords: true``), else one request, for ``None``."""
    if not getattr(source, "keywords", False):
        return [None]
    found: list[str | None] = list(dict.fromkeys(keywords or []))
    if not found:
        raise ValueError(
            f"source {source.name!r} searches product names (keywords: true), "
            "but no product is configured"
        )
    return found


class IncrementalSpider(SourceSpider):
    """A source whose pages are fetched again only when new or changed (``crawlers.incremental``):
    forums and sitemaps. Its crawl memory and stored posts come from the crawl's settings
    (``YUJING_CRAWL_MEMORY``, ``YUJING_KNOWN_URL``); ``source.revisit`` is how long an unchanged
    page may go unread."""

    source: Any

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.freshness = Freshness(None, None, None)
        self.fetched_log: FetchedLog | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        memory = crawler.settings.get("YUJING_CRAWL_MEMORY")
        known = crawler.settings.get("YUJING_KNOWN_URL")
        spider.freshness = Freshness(memory, known, spider.source.revisit)
        if memory is not None:
            spider.fetched_log = FetchedLog.from_crawler(crawler, memory)
        return spider

    def on_skipped(self, request: Request) -> None:
        # A page robots.txt forbids is as good as seen: asking again would change nothing.
        if self.fetched_log is not None:
            self.fetched_log.remember(request)
