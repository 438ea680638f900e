"""Where posts come from: forums (list -> detail pages), RSS/Atom feeds, JSON APIs, transcript
inboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import jmespath
from cssselect import SelectorError
from jmespath.exceptions import JMESPathError
from parsel import Selector
from pydantic import Field, field_validator, model_validator

from .base import Duration, HttpUrl, Strict

__all__ = [
    "SourceBase",
    "HttpSourceBase",
    "ListSelectors",
    "DetailSelectors",
    "ForumSource",
    "FeedSource",
    "ApiSource",
    "ApiFields",
    "ApiPaging",
    "TranscriptLimits",
    "TranscriptRoles",
    "TranscriptSource",
    "TRANSCRIPT_FIELDS",
    "Source",
    "selector_problems",
]


class SourceBase(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    interval: Duration = 300.0
    enabled: bool = True


class ListSelectors(Strict):
    """Where the list page keeps its links to posts (CSS, or XPath when it starts with / or ()."""

    link: str
    next: str | None = None


class DetailSelectors(Strict):
    title: str
    text: str
    author: str | None = None
    published: str | None = None
    views: str | None = None
    comments: str | None = None
    reposts: str | None = None


def selector_problems(selectors: dict[str, str | None]) -> list[str]:
    """Selectors that do not compile, as "field: message"; a typo should fail before crawling.

    XPath when the selector starts with ``/`` or ``(``, CSS otherwise: the rule the spiders use.
    """
    empty = Selector(text="<html></html>")
    problems = []
    for field, query in selectors.items():
        if not query:
            continue
        q = query.strip()
        try:
            empty.xpath(q) if q.startswith(("/", "(")) else empty.css(q)
        except (SelectorError, ValueError) as exc:  # bad CSS; bad XPath (parsel's ValueError)
            problems.append(f"{field}: invalid selector {query!r}: {exc}")
    return problems


class HttpSourceBase(SourceBase):
    url: HttpUrl
    # Seconds between requests to the site (AutoThrottle adapts it); be polite to public sites.
    delay: float = Field(default=1.0, ge=0)
    concurrency: int = Field(default=2, ge=1, le=32)  # requests to the site at once


class ForumSource(HttpSourceBase):
    type: Literal["forum"]
    list: ListSelectors
    detail: DetailSelectors
    max_pages: int = Field(default=3, ge=1)
    encoding: str | None = None  # for sites that lie about their charset

    @model_validator(mode="after")
    def _selectors_compile(self) -> ForumSource:
        # A selector typo fails here, at check-config, not at the first crawl.
        selectors = {
            **{f"list.{k}": v for k, v in self.list.model_dump().items()},
            **{f"detail.{k}": v for k, v in self.detail.model_dump().items()},
        }
        problems = selector_problems(selectors)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def jmespath_problems(paths: dict[str, str | None]) -> list[str]:
    """JMESPath expressions that do not compile, as "field: message"."""
    problems = []
    for field, query in paths.items():
        if query:
            try:
                jmespath.compile(query)
            except JMESPathError as exc:
                problems.append(f"{field}: invalid JMESPath {query!r}: {exc}")
    return problems


class ApiFields(Strict):
    """Where each field of a post is in one item of the response (JMESPath, as Scrapy reads
    JSON: ``user.screen_name``, ``stats.reposts``, ``pics[0].url``)."""

    text: str
    id: str | None = None
    url: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None
    views: str | None = None
    comments: str | None = None
    reposts: str | None = None
    likes: str | None = None


class ApiPaging(Strict):
    """Cursor paging (``cursor`` is where the next cursor is in a response, sent back as the
    ``cursor_param`` request parameter) or page numbers (``page_param``, from ``first_page``)."""

    cursor: str | None = None
    cursor_param: str | None = None
    page_param: str | None = None
    first_page: int = 1

    @model_validator(mode="after")
    def _one_kind(self) -> ApiPaging:
        if (self.cursor is None) != (self.cursor_param is None):
            raise ValueError("cursor paging needs both cursor (where) and cursor_param (sent as)")
        if self.cursor and self.page_param:
            raise ValueError("give cursor paging or page_param, not both")
        return self


class ApiSource(HttpSourceBase):
    """A JSON API (a social platform's search, a complaint platform's list endpoint).

    Strings in ``url``, ``params``, ``headers``, ``cookies`` and ``body`` may hold ``${ENV}``
    (tokens stay out of the file) and, with ``keywords: true``, ``{keyword}``: the source is
    then requested once per product name and alias.
    """

    type: Literal["api"]
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, str | int | float] = {}
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    body: dict[str, Any] | None = None  # sent as JSON (POST)
    items: str  # JMESPath to the list of items in a response
    fields: ApiFields
    link: str | None = None  # a post's web address when the item has none: "https://x.cn/p/{id}"
    paging: ApiPaging = ApiPaging()
    max_pages: int = Field(default=3, ge=1)
    keywords: bool = False

    @model_validator(mode="after")
    def _paths_compile(self) -> ApiSource:
        paths = {"items": self.items, "paging.cursor": self.paging.cursor}
        paths |= {f"fields.{k}": v for k, v in self.fields.model_dump().items()}
        problems = jmespath_problems(paths)
        if self.link is not None and "{id}" not in self.link:
            problems.append(f"link: {self.link!r} needs {{id}}, where the item's id goes")
        if self.link is not None and self.fields.id is None:
            problems.append("link: needs fields.id, the id it is built from")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class FeedSource(HttpSourceBase):
    type: Literal["feed"]


class TranscriptLimits(Strict):
    """How big a transcript file, a line of it and one call's text may be.

    Over ``max_file_mb`` or ``max_line_chars``: the file is quarantined with the reason. Over
    ``max_text_chars``: the call is kept, its text cut there, and the post's extras say so.
    """

    max_file_mb: float = Field(default=256, gt=0)
    max_line_chars: int = Field(default=1_000_000, gt=0)
    max_text_chars: int = Field(default=100_000, gt=0)


# What a transcript column (or JSONL key) can mean: see the README's transcript section.
TRANSCRIPT_FIELDS = (
    "text", "id", "call", "role", "caller", "time", "agent", "product", "duration"
)  # fmt: skip


class TranscriptRoles(Strict):
    """Role names (角色 column) beyond the usual ones: customer turns are the call's text; agent
    and system turns are left out."""

    customer: list[str] = []
    agent: list[str] = []


class TranscriptSource(SourceBase):
    type: Literal["transcripts"]
    path: Path
    interval: Duration = 10.0
    limits: TranscriptLimits = TranscriptLimits()
    # An export's own header names, mapped to fields: {会话流水: call, 说话方: role}
    columns: dict[str, str] = {}
    roles: TranscriptRoles = TranscriptRoles()

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        bad = {k: v for k, v in value.items() if v not in TRANSCRIPT_FIELDS}
        if bad:
            header, field = next(iter(bad.items()))
            raise ValueError(
                f"column {header!r} is mapped to {field!r}, which is not a field; "
                f"use one of {', '.join(TRANSCRIPT_FIELDS)}"
            )
        return value


Source = Annotated[
    ForumSource | FeedSource | ApiSource | TranscriptSource, Field(discriminator="type")
]
