"""JSON APIs described entirely by an ``ApiSource``: request -> items -> next page.

A social platform's search or a complaint platform's list endpoint is a config change: where the
list of items is (``items``), where each field is in an item (``fields.*``), all JMESPath as
Scrapy's ``response.jmespath()`` reads it, and how to ask for the next page (a cursor taken from
the response, or a page number). With ``keywords: true`` the request is made once per product
name and alias, each filling ``{keyword}``.

Paging stops at ``max_pages``, at an empty page, at a cursor that is missing or repeats, and at a
page whose items are all stored already: what follows is older still.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jmespath
from scrapy.http import JsonRequest, Request, Response

from yujing.config import ApiSource

from ..items import PostItem
from ..run import SpiderCollector
from .base import ENTRY, Problem, SourceSpider, coerce_source, search_keywords

__all__ = ["ApiCollector", "ApiSpider"]

FIELDS = ("title", "author", "published", "views", "comments", "reposts", "likes")


def _fill(value: Any, keyword: str | None) -> Any:
    """``{keyword}`` filled in every string of a request's parts (nothing else is a template)."""
    if isinstance(value, str) and keyword is not None:
        return value.replace("{keyword}", keyword)
    if isinstance(value, dict):
        return {k: _fill(v, keyword) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, keyword) for v in value]
    return value


def _scalar(value: Any) -> str | int | None:
    """A field's value as the pipeline reads it: text or a whole number; None when absent."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(value)
    return str(value)


class ApiSpider(SourceSpider):
    name = "api"

    def __init__(
        self,
        source: ApiSource | str | None = None,
        keywords: list[str] | None = None,
        *args: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.source: ApiSource = coerce_source(source, ApiSource)
        self.name = f"{self.name}.{self.source.name}"
        self.keywords = search_keywords(self.source, keywords)

    @property
    def _keyword_unseen(self) -> bool:
        """A keyword search whose keyword the duplicate filter does not see (URL and body)."""
        src = self.source
        seen = json.dumps([str(src.url), src.params, src.body], ensure_ascii=False)
        return src.keywords and "{keyword}" not in seen

    async def start(self) -> AsyncIterator[Request]:
        for keyword in self.keywords:
            yield self._request(keyword, page=1, cursor=None)

    def _request(self, keyword: str | None, *, page: int, cursor: str | None) -> Request:
        src = self.source
        params = {k: str(v) for k, v in _fill(src.params, keyword).items()}
        paging = src.paging
        if paging.page_param:
            params[paging.page_param] = str(paging.first_page + page - 1)
        if cursor is not None and paging.cursor_param:
            params[paging.cursor_param] = cursor
        parts = urlsplit(_fill(str(src.url), keyword))
        query = "&".join(q for q in (parts.query, urlencode(params)) if q)
        url = urlunsplit(parts._replace(query=query))
        kwargs: dict[str, Any] = {
            "callback": self.parse_page,
            "errback": self.on_request_error,
            "headers": _fill(src.headers, keyword),
            "cookies": _fill(src.cookies, keyword),
            "cb_kwargs": {"keyword": keyword, "page": page, "cursor": cursor},
            "meta": {ENTRY: page == 1},
            # Each page differs in its URL (page or cursor parameter) or body, so the duplicate
            # filter lets it through, and daemons sharing a crawl (crawlers.run.SharedFrontier)
            # fetch it once between them. Not when ``{keyword}`` is sent only in headers or
            # cookies: the searches would look alike to the filter, which would drop all but one.
            "dont_filter": self._keyword_unseen,
        }
        if src.method == "POST":
            return JsonRequest(url, data=_fill(src.body or {}, keyword), **kwargs)
        return Request(url, method="GET", **kwargs)

    def parse_page(
        self, response: Response, keyword: str | None, page: int, cursor: str | None
    ) -> Iterator[PostItem | Request]:
        response = self.decoded(response)
        if response is None:
            return
        try:
            data = json.loads(response.text)
        except ValueError as exc:
            self.note_error(f"GET {response.url}: not JSON ({exc})", Problem.NOT_JSON)
            return
        found = jmespath.search(self.source.items, data)
        if not isinstance(found, list):
            # An empty list is a quiet day; no list at all is a changed or failing API.
            self.note_error(
                f"GET {response.url}: items ({self.source.items}) is not a list in the response",
                Problem.NO_ITEM_LIST,
            )
            return
        items = found
        known = self.settings.get("YUJING_KNOWN_URL")
        fresh = 0
        for item in items:
            post = self._item(item, response.url) if isinstance(item, dict) else None
            if post is None:
                self.crawler.stats.inc_value("yujing/api_skipped")
                continue
            if known is None or not known(post.native_id):
                fresh += 1
            yield post
        following = self._next(data, keyword, page, cursor, bool(items) and fresh > 0)
        if following is not None:
            yield following

    def _next(
        self, data: Any, keyword: str | None, page: int, cursor: str | None, go: bool
    ) -> Request | None:
        paging = self.source.paging
        if not go or page >= self.source.max_pages:
            return None
        if paging.cursor:
            following = _scalar(jmespath.search(paging.cursor, data))
            if following in (None, "", 0, "0") or str(following) == cursor:
                return None
            return self._request(keyword, page=page + 1, cursor=str(following))
        if paging.page_param:
            return self._request(keyword, page=page + 1, cursor=None)
        return None

    def _item(self, item: dict[str, Any], api_url: str) -> PostItem | None:
        f = self.source.fields

        def get(path: str | None) -> Any:
            return jmespath.search(path, item) if path else None

        text = _scalar(get(f.text))
        if not text or not str(text).strip():
            return None
        native = _scalar(get(f.id))
        url = _scalar(get(f.url))
        if not url and native is not None and self.source.link:
            url = self.source.link.replace("{id}", str(native))
        url = str(url) if url else f"{api_url}#{native}" if native is not None else api_url
        values = {name: _scalar(get(getattr(f, name))) for name in FIELDS}
        return PostItem(
            source=self.source.name,
            url=url,
            native_id=str(native) if native is not None else url,
            text=str(text),
            title=str(values["title"] or ""),
            author=str(values["author"]) if values["author"] is not None else None,
            published=str(values["published"]) if values["published"] is not None else None,
            views=values["views"],
            comments=values["comments"],
            reposts=values["reposts"],
            likes=values["likes"],
        )


class ApiCollector(SpiderCollector):
    """A JSON API; a search (``keywords: true``) once per product name."""

    spider = ApiSpider
    searches = True
