"""Where posts come from: forums (list -> detail pages), RSS/Atom feeds, transcript inboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from cssselect import SelectorError
from parsel import Selector
from pydantic import Field, model_validator

from .base import Duration, HttpUrl, Strict

__all__ = [
    "SourceBase",
    "HttpSourceBase",
    "ListSelectors",
    "DetailSelectors",
    "ForumSource",
    "FeedSource",
    "TranscriptLimits",
    "TranscriptSource",
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


class TranscriptSource(SourceBase):
    type: Literal["transcripts"]
    path: Path
    interval: Duration = 10.0
    limits: TranscriptLimits = TranscriptLimits()


Source = Annotated[ForumSource | FeedSource | TranscriptSource, Field(discriminator="type")]
