"""RSS and Atom feeds: one post per entry, parsed by feedparser from the downloaded bytes.

Scrapy does the fetching (robots.txt, throttling, retries, errors); feedparser only parses, and is
given the HTTP headers so it honours the declared charset and resolves relative links.

A feed lists the same entries poll after poll: entries already stored (``YUJING_KNOWN_URL``,
asked with the entry's native id, its guid or else its link) are skipped before they reach the
pipeline, so only new entries are understood.

Polls are conditional GETs: with the ETag and Last-Modified of the last complete fetch
(``YUJING_FEED_VALIDATORS``) an unchanged feed answers 304 and costs nothing more. The ones this
fetch brought are left in the crawl stats (``yujing/etag``, ``yujing/last_modified``) for the
caller to keep once the posts are stored: kept any earlier, a failed store would be skipped by
the next 304 and lost.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
from scrapy.http import Request, Response

from yujing.config import FeedSource
from yujing.records import utcnow

from ..collect import CollectContext
from ..decoding import UndecodableError, decode_text
from ..htmltext import html_to_text
from ..items import PostItem
from ..limits import MARKUP_PER_CHAR
from ..run import CrawlResult, SpiderCollector
from ..timeparse import parse_published
from .base import ENTRY, Problem, SourceSpider, coerce_source, declared_charsets

__all__ = ["FeedCollector", "FeedSpider"]

# The encoding an XML declaration names; rewritten once the text is UTF-8.
_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])[^"']*(["'])""")


class FeedSpider(SourceSpider):
    name = "feed"

    def __init__(self, source: FeedSource | str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.source: FeedSource = coerce_source(source, FeedSource)
        # Per-source name: log lines read "forum.weiquan-bbs: ...", not just "forum: ...".
        self.name = f"{self.name}.{self.source.name}"
        # An entry's markup is cut before it is parsed: a huge one never reaches the parser.
        self.markup_limit = self.source.limits.max_text_chars * MARKUP_PER_CHAR

    async def start(self) -> AsyncIterator[Request]:
        headers = {}
        validators = self.settings.get("YUJING_FEED_VALIDATORS")
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        yield Request(
            self.source.url,
            headers=headers,
            callback=self.parse_feed,
            errback=self.on_request_error,
            # 304 is the answer we asked for, not an error (HttpErrorMiddleware's default).
            meta={ENTRY: True, "handle_httpstatus_list": [304]},
        )

    def parse_feed(self, response: Response) -> Iterator[PostItem]:
        stats = self.crawler.stats
        if response.status == 304:
            stats.set_value("yujing/not_modified", True)
            return
        for header, stat in (("ETag", "yujing/etag"), ("Last-Modified", "yujing/last_modified")):
            value = response.headers.get(header)
            if value:
                stats.set_value(stat, value.decode("latin-1"))
        body = self._utf8(response)
        if body is None:
            return
        content_type = response.headers.get("Content-Type")
        mime = content_type.decode("latin-1").split(";")[0] if content_type else "application/xml"
        headers = {"content-location": response.url, "content-type": f"{mime}; charset=utf-8"}
        parsed = feedparser.parse(body, response_headers=headers)
        if not parsed.entries and (parsed.bozo or not parsed.version):
            # An HTML error page served with 200 is the usual cause; say so instead of "0 items".
            why = parsed.get("bozo_exception") or "no RSS or Atom entries"
            self.note_error(f"GET {response.url}: not a feed ({why})", Problem.NOT_A_FEED)
            return
        known = self.settings.get("YUJING_KNOWN_URL")
        for entry in parsed.entries:
            item = self._item(entry, response.url, parsed.feed)
            if item is None:
                continue
            if known is not None and known(item.native_id):
                self.crawler.stats.inc_value("yujing/known_skipped")
                continue
            yield item

    def _utf8(self, response: Response) -> bytes | None:
        """The feed re-encoded as UTF-8, declared so; None (an error noted) if undecodable.

        feedparser on its own falls back to windows-1252 for a feed that declares nothing,
        which turns a GBK feed into mojibake without a word; the collectors' decoding
        (declared charset checked against the bytes, else a plausible guess) decides instead.
        """
        try:
            text = decode_text(
                response.body, where=response.url, declared=declared_charsets(response)
            )
        except UndecodableError as exc:
            self.note_error(f"GET {exc}", Problem.UNDECODABLE)
            return None
        return _XML_ENCODING.sub(r"\1utf-8\2", text, count=1).encode("utf-8")

    def _item(self, entry: Any, feed_url: str, feed: Any) -> PostItem | None:
        link = entry.get("link") or ""
        native_id = entry.get("id") or link
        if not native_id:
            self.logger.warning("skipping an entry of %s with neither guid nor link", feed_url)
            return None
        # Atom content is the full text; RSS usually has only a summary (description).
        body = entry["content"][0].get("value", "") if entry.get("content") else ""
        summary = entry.get("summary", "")
        return PostItem(
            source=self.source.name,
            url=link or feed_url,
            native_id=native_id,
            title=html_to_text(entry.get("title", "")[: self.markup_limit]),
            text=html_to_text(
                (body if len(body) >= len(summary) else summary)[: self.markup_limit]
            ),
            author=self._author(entry, feed),
            published=_entry_time(entry),
            extras=_extras(entry),
        )

    def _author(self, entry: Any, feed: Any) -> str | None:
        """The entry's own author, or None: anonymous, never one made-up person per feed.

        Many feeds write the site or the feed's editor into every entry; counted as an author,
        a whole feed would be one complainant. An empty author is none (the pipeline hashes
        only non-blank names).
        """
        author = (entry.get("author") or "").strip()
        stand_ins = {self.source.name, feed.get("title"), feed.get("author")}
        return None if not author or author in stand_ins else author


def _extras(entry: Any) -> dict[str, Any]:
    tags = [t["term"] for t in entry.get("tags", []) if t.get("term")]
    return {"tags": tags} if tags else {}


def _entry_time(entry: Any) -> datetime | str | None:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        # Keep the raw text when our parser reads it: feedparser takes zone-less times as UTC,
        # while Chinese feeds mean local time, which the pipeline applies. feedparser's own
        # reading (always UTC) covers the formats ours does not know.
        if parse_published(raw, utcnow(), UTC) is not None:
            return str(raw)
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
        return str(raw)
    return None


class FeedCollector(SpiderCollector):
    """A feed, polled with conditional GETs: the ETag and Last-Modified of the last fetch whose
    entries were all stored are sent again (``store.validators``), and a 304 is a quick run."""

    spider = FeedSpider

    def settings(self, source: FeedSource, context: CollectContext) -> dict[str, Any]:
        validators = context.store.validators.get(source.name)
        return {**super().settings(source, context), "YUJING_FEED_VALIDATORS": validators}

    def finished(self, source: FeedSource, result: CrawlResult, context: CollectContext) -> None:
        if result.ok and result.validators is not None:
            # Only once every entry is stored: a 304 next time must not skip a lost one.
            context.store.validators.set(source.name, result.validators)
