"""Where posts come from: forums (list -> detail pages), RSS/Atom feeds, JSON APIs, transcript
inboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import jmespath
from cssselect import SelectorError
from jmespath.exceptions import JMESPathError
from parsel import Selector
from pydantic import Field, field_validator, model_validator

from ..patterns import compile_pattern
from .base import Duration, HttpUrl, Strict, TimeZone

__all__ = [
    "SourceBase",
    "HttpSourceBase",
    "ListSelectors",
    "DetailSelectors",
    "ForumSource",
    "SourceHealth",
    "FeedSource",
    "ApiSource",
    "SitemapSource",
    "ApiFields",
    "ApiPaging",
    "TranscriptLimits",
    "TranscriptRoles",
    "TranscriptSource",
    "TRANSCRIPT_FIELDS",
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
    # Flatline (as ElastAlert's): over the last ``quiet_for`` the source brought fewer new posts
    # than ``quiet_ratio`` of what it usually brings in as long (learned from its last 7 days,
    # once it has at least ``quiet_min`` there): a source that runs without errors but has gone
    # silent (a login wall, an empty search) is noticed too. Off unless ``quiet_for`` is set.
    quiet_for: Duration | None = None
    quiet_ratio: float = Field(default=0.1, gt=0, lt=1)
    quiet_min: int = Field(default=10, ge=1)


class SourceBase(Strict):
    """What every source has. A source type is its model's ``type`` literal (the one place its
    name is written), its ``label`` (how people are told of it), a line in ``Source`` below and
    one in the collectors' registry (``yujing.crawlers.collect.COLLECTORS``)."""

    label: ClassVar[str] = "数据源"
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    interval: Duration = 300.0
    enabled: bool = True
    health: SourceHealth = SourceHealth()
    # The zone of the times this source prints without one (a site abroad, a call centre in
    # another city); default: the config's ``timezone``.
    timezone: TimeZone | None = None

    @property
    def polled(self) -> bool:
        """Run on a schedule; False for a source fed only from outside (``POST /ingest``)."""
        return True


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
    # A regex per field, applied to the text its selector found: its first group (or the whole
    # match) is the value, e.g. {published: "发表于\\s*(.+)", views: "阅读\\s*(\\S+)"}.
    re: dict[str, str] = {}

    @model_validator(mode="after")
    def _patterns(self) -> DetailSelectors:
        fields = [f for f in type(self).model_fields if f != "re"]
        for field, pattern in self.re.items():
            if field not in fields:
                raise ValueError(f"re: {field!r} is not a field; one of {', '.join(fields)}")
            try:
                compile_pattern(pattern)
            except ValueError as exc:
                raise ValueError(f"re.{field}: {exc}") from None
        return self

    def selectors(self) -> dict[str, str | None]:
        return {k: v for k, v in self.model_dump().items() if k != "re"}


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


class TextLimits(Strict):
    """What one post of any source may hold: the rest is cut, and the post's extras say so."""

    max_text_chars: int = Field(default=100_000, gt=0)
    max_title_chars: int = Field(default=1_000, gt=0)
    max_fields: int = Field(default=50, gt=0)  # extra fields (an API's mapped fields, tags)


class WebLimits(TextLimits):
    """A web source's limits: a post's (``TextLimits``), and what one crawl may bring in.

    A response over ``max_response_mb`` is not downloaded (Scrapy's DOWNLOAD_MAXSIZE; a warning
    at a quarter of it), and the run says so; past ``max_items`` posts in one crawl the rest are
    left for the next crawl.
    """

    max_response_mb: float = Field(default=8, gt=0, le=1024)
    max_items: int = Field(default=2_000, gt=0)


class HttpSourceBase(SourceBase):
    url: HttpUrl
    # Seconds between requests to the site (AutoThrottle adapts it); be polite to public sites.
    delay: float = Field(default=1.0, ge=0)
    concurrency: int = Field(default=2, ge=1, le=32)  # requests to the site at once
    # Crawled together with the other daemons of the top-level redis: section, each page once.
    shared: bool = False
    limits: WebLimits = WebLimits()


class ForumSource(HttpSourceBase):
    type: Literal["forum"]
    label: ClassVar[str] = "论坛"
    list: ListSelectors
    detail: DetailSelectors
    max_pages: int = Field(default=3, ge=1)
    encoding: str | None = None  # for sites that lie about their charset
    # A stored thread whose list entry shows no change is fetched again after this long (edits
    # that move no counter); None: only when its entry changes.
    revisit: Duration | None = None
    # A site's search page as the list: ``{keyword}`` in ``url`` is each product's name and alias.
    keywords: bool = False
    # Numbered list pages instead of a next link: ``{page}`` in ``url`` (``/list/{page}.html``,
    # ``?page={page}``) counts up from ``first_page``, up to ``max_pages`` pages.
    first_page: int = Field(default=1, ge=0)

    @property
    def numbered(self) -> bool:
        return "{page}" in str(self.url)

    @model_validator(mode="after")
    def _selectors_compile(self) -> ForumSource:
        if self.keywords and "{keyword}" not in str(self.url):
            raise ValueError("keywords: true needs {keyword} in url, where each name goes")
        if self.numbered and self.list.next:
            raise ValueError(
                "url has {page} (numbered list pages) and list.next (a next link) as well: "
                "keep the one the site uses"
            )
        # A selector typo fails here, at check-config, not at the first crawl.
        selectors = {
            **{f"list.{k}": v for k, v in self.list.model_dump().items()},
            **{f"detail.{k}": v for k, v in self.detail.selectors().items()},
        }
        problems = selector_problems(selectors)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SitemapSource(HttpSourceBase):
    """A site's sitemap (``url``: sitemap.xml, a sitemap index, or .xml.gz): the pages whose
    address matches ``follow`` are posts, read with the ``detail`` selectors as a forum's
    threads are. A page is fetched again when its ``<lastmod>`` changes (or after ``revisit``)."""

    type: Literal["sitemap"]
    label: ClassVar[str] = "网站地图"
    follow: str = ".*"  # regex on a page's URL: which pages are posts
    detail: DetailSelectors
    max_pages: int = Field(default=200, ge=1)  # pages fetched per crawl, newest lastmod first
    encoding: str | None = None
    revisit: Duration | None = None

    @model_validator(mode="after")
    def _checks(self) -> SitemapSource:
        problems = selector_problems({f"detail.{k}": v for k, v in self.detail.selectors().items()})
        try:
            compile_pattern(self.follow)
        except ValueError as exc:
            problems.append(f"follow: {exc}")
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
    label: ClassVar[str] = "接口"
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
    label: ClassVar[str] = "订阅源"


class TranscriptLimits(TextLimits):
    """How big a transcript file, a line of it and one call's text may be.

    Over ``max_file_mb`` or ``max_line_chars``: the file is quarantined with the reason. Over
    ``max_text_chars``: the call is kept, its text cut there, and the post's extras say so.
    """

    max_file_mb: float = Field(default=256, gt=0)
    max_line_chars: int = Field(default=1_000_000, gt=0)


# What a transcript column (or JSONL key) can mean: see the README's transcript section.
TRANSCRIPT_FIELDS = (
    "text", "id", "speaker", "caller", "time", "agent", "product", "duration"
)  # fmt: skip


class TranscriptRoles(Strict):
    """Role names (角色 column) beyond the usual ones: customer turns are the call's text; agent
    and system turns are left out."""

    customer: list[str] = []
    agent: list[str] = []


class TranscriptSource(SourceBase):
    type: Literal["transcripts"]
    label: ClassVar[str] = "通话记录"
    # The inbox folder polled for exported files. None: the source is fed by POST /ingest alone
    # (it must then be http.push.source).
    path: Path | None = None
    interval: Duration = 10.0
    limits: TranscriptLimits = TranscriptLimits()
    # The export's own header for each field: {id: 通话编号, speaker: 角色, text: 内容}
    columns: dict[str, str] = {}
    roles: TranscriptRoles = TranscriptRoles()

    @property
    def polled(self) -> bool:
        return self.path is not None  # without a folder, fed by POST /ingest alone

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [f for f in value if f not in TRANSCRIPT_FIELDS]
        if bad:
            raise ValueError(
                f"{bad[0]!r} is not a field; map fields to your headers, one of "
                f"{', '.join(TRANSCRIPT_FIELDS)} (e.g. speaker: 角色)"
            )
        return value


Source = Annotated[
    ForumSource | FeedSource | ApiSource | SitemapSource | TranscriptSource,
    Field(discriminator="type"),
]
