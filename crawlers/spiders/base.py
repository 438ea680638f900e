"""What every collector shares: building from a source config and recording failures.

Failures go to crawl stats (``yujing/errors``, ``yujing/last_error``) as one sentence naming the
URL and the cause, so ``crawlers.run`` and a plain ``scrapy crawl`` report them the same way.
"""

from __future__ import annotations

import codecs
from typing import Any, Self, TypeVar

from pydantic import BaseModel
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
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

__all__ = ["SourceSpider", "describe_failure", "coerce_source", "declared_charsets"]

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


def describe_failure(failure: Failure) -> str:
    """The cause of a failed download in a few words a person on call can act on."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if failure.check(DownloadConnectionRefusedError, tx_error.ConnectionRefusedError):
        return "connection refused"
    if failure.check(CannotResolveHostError, tx_error.DNSLookupError):
        return "host name not found"
    if failure.check(DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError):
        return "timed out"
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
        return spider

    def note_error(self, sentence: str) -> None:
        self.crawler.stats.inc_value("yujing/errors")
        self.crawler.stats.set_value("yujing/last_error", sentence)
        self.logger.error(sentence)

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
            self.note_error(f"GET {exc}")
            return None
        if codecs.lookup(encoding).name != codecs.lookup(response.encoding).name:
            response = response.replace(encoding=encoding)
        return response

    def on_request_error(self, failure: Failure) -> None:
        """Errback for every request the spider makes."""
        request: Request = failure.request  # type: ignore[attr-defined]
        if failure.check(IgnoreRequest) and not request.meta.get(ENTRY):
            # robots.txt said no to one link: expected, counted, not an error.
            self.crawler.stats.inc_value("yujing/ignored")
            self.logger.info("skipped %s: %s", request.url, failure.value)
            return
        self.note_error(f"{request.method} {request.url}: {describe_failure(failure)}")

    def _on_spider_error(self, failure: Failure, response: Response | None, spider: Spider) -> None:
        if spider is self:
            # No response means the failure came from start(), before anything was fetched.
            where = f"parsing {response.url}" if response is not None else "starting the crawl"
            self.note_error(f"{where} failed: {describe_failure(failure)}")

    def _on_item_error(
        self, item: Any, response: Response | None, spider: Spider, failure: Failure
    ) -> None:
        if spider is self:
            where = response.url if response is not None else getattr(item, "url", "?")
            self.note_error(f"storing a post from {where} failed: {describe_failure(failure)}")
