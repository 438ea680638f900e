"""Where posts come from: forums (list -> detail pages), RSS/Atom feeds, transcript inboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from cssselect import SelectorError
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


Source = Annotated[ForumSource | FeedSource | TranscriptSource, Field(discriminator="type")]
