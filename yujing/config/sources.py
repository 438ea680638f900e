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
    "SourceHealth",
    "FeedSource",
    "TranscriptSource",
    "Source",
    "selector_problems",
]


class SourceHealth(Strict):
    """When a failing source raises a source-health alert (``kind=source``).

    A run fails when it counts an error (a page that cannot be fetched, a redirect loop, a list
    page whose ``list.link`` matches nothing). The alert fires after ``failures`` failed runs in
    a row, or, when ``failing_for`` is set, once the source has been failing that long instead;
    it resolves at the next run that works.
    """

    failures: int = Field(default=3, ge=1)
    failing_for: Duration | None = None
    severity: Literal["blue", "yellow", "orange", "red"] = "orange"


class SourceBase(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    interval: Duration = 300.0
    enabled: bool = True
    health: SourceHealth = SourceHealth()


class ListSelectors(Strict):
    """Where the list page keeps its links to posts (CSS, or XPath when it starts with / or ()).

    With ``item`` (one list entry each), ``link``, ``replies`` and ``last_reply`` are looked up
    inside each entry (XPath relative to it starts with ``./``). ``replies`` and ``last_reply``
    are what the entry shows of its thread's activity: a stored thread is fetched again only
    when they change (or on the source's ``revisit`` schedule).
    """

    link: str
    next: str | None = None
    item: str | None = None
    replies: str | None = None
    last_reply: str | None = None

    @model_validator(mode="after")
    def _markers_need_an_item(self) -> ListSelectors:
        if (self.replies or self.last_reply) and not self.item:
            raise ValueError(
                "list.replies and list.last_reply are read inside each list entry:"
                " set list.item to the selector of one entry (e.g. 'li.thread')"
            )
        return self


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
            empty.xpath(q) if q.startswith(("/", "(", "./")) else empty.css(q)
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
    # A stored thread whose list entry shows no change is fetched again after this long (edits
    # that move no counter); None: only when its entry changes.
    revisit: Duration | None = None

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


class TranscriptSource(SourceBase):
    type: Literal["transcripts"]
    path: Path
    interval: Duration = 10.0


Source = Annotated[ForumSource | FeedSource | TranscriptSource, Field(discriminator="type")]
