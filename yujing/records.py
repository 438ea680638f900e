"""Typed records passed between the stages: collect -> understand -> detect -> alert.

Each stage consumes and produces only these records; none reaches into another's insides.
Times are timezone-aware and in UTC.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Reach",
    "Post",
    "ScoredPost",
    "Alert",
    "AlertState",
    "Severity",
    "hash_author",
    "post_id",
    "utcnow",
    "parse_time",
    "format_time",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str | datetime) -> datetime:
    """Parse an ISO-8601 time; a naive time is taken as UTC."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def format_time(dt: datetime) -> str:
    """UTC ISO-8601. A naive time is refused: it would be read in the machine's zone."""
    if dt.tzinfo is None:
        raise ValueError(f"a time without a zone cannot be stored: {dt.isoformat()}")
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def hash_author(raw: str | None, salt: str) -> str | None:
    """A salted hash lets the detector count distinct complainants without keeping who they are."""
    if not raw or not raw.strip():
        return None
    digest = hashlib.sha256(f"{salt}\x00{raw.strip()}".encode()).hexdigest()
    return digest[:20]


def post_id(source: str, native_id: str) -> str:
    """Stable id of a post: the same item from the same source always gets the same id."""
    return hashlib.sha1(f"{source}\x00{native_id}".encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Reach:
    """Public attention, when the source shows it."""

    views: int | None = None
    comments: int | None = None
    reposts: int | None = None
    likes: int | None = None

    def total(self) -> int:
        return sum(v or 0 for v in (self.views, self.comments, self.reposts, self.likes))


@dataclass(frozen=True, slots=True)
class Post:
    source: str
    url: str
    id: str
    author: str | None  # salted hash, never the raw name
    title: str
    text: str
    published_at: datetime
    fetched_at: datetime
    reach: Reach = field(default_factory=Reach)
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["published_at"] = format_time(self.published_at)
        d["fetched_at"] = format_time(self.fetched_at)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Post:
        return cls(
            source=d["source"],
            url=d["url"],
            id=d["id"],
            author=d.get("author"),
            title=d.get("title", ""),
            text=d["text"],
            published_at=parse_time(d["published_at"]),
            fetched_at=parse_time(d["fetched_at"]),
            reach=Reach(**(d.get("reach") or {})),
            extras=dict(d.get("extras") or {}),
        )

    def with_text(self, title: str, text: str) -> Post:
        return replace(self, title=title, text=text)


@dataclass(frozen=True, slots=True)
class ScoredPost:
    """A post as the detector understands it."""

    post: Post
    products: tuple[str, ...]
    categories: tuple[str, ...]
    sentiment: float  # probability the text is positive, 0..1
    collective: bool = False  # collective-action language seen

    def to_dict(self) -> dict[str, Any]:
        d = self.post.to_dict()
        d.update(
            products=list(self.products),
            categories=list(self.categories),
            sentiment=round(self.sentiment, 4),
            collective=self.collective,
        )
        return d


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Severity(StrEnum):
    # Chinese early-warning colours, least to most severe.
    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    @property
    def label(self) -> str:
        return {"blue": "蓝", "yellow": "黄", "orange": "橙", "red": "红"}[self.value]


@dataclass(frozen=True, slots=True)
class Alert:
    key: str  # stable identity of the series: kind/product/category
    id: str  # one wave of that series: key@started
    kind: str
    product: str
    category: str | None
    severity: Severity
    state: AlertState
    window_start: datetime
    window_end: datetime
    count: int
    baseline: float
    complainants: int
    started_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    score: float = 0.0
    sources: int = 0
    reasons: tuple[str, ...] = ()
    samples: tuple[dict[str, Any], ...] = ()  # {"id", "title", "url", "source"}
    labels: dict[str, str] = field(default_factory=dict)
    series: tuple[int, ...] = ()  # posts per bucket, oldest first, for a sparkline

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in ("window_start", "window_end", "started_at", "updated_at", "resolved_at"):
            value = getattr(self, name)
            d[name] = format_time(value) if value else None
        d["severity"] = self.severity.value
        d["state"] = self.state.value
        d["reasons"] = list(self.reasons)
        d["samples"] = list(self.samples)
        d["series"] = list(self.series)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Alert:
        times = {
            name: parse_time(d[name]) if d.get(name) else None
            for name in ("window_start", "window_end", "started_at", "updated_at", "resolved_at")
        }
        return cls(
            key=d["key"],
            id=d["id"],
            kind=d["kind"],
            product=d["product"],
            category=d.get("category"),
            severity=Severity(d["severity"]),
            state=AlertState(d["state"]),
            count=int(d["count"]),
            baseline=float(d["baseline"]),
            complainants=int(d["complainants"]),
            score=float(d.get("score", 0.0)),
            sources=int(d.get("sources", 0)),
            reasons=tuple(d.get("reasons") or ()),
            samples=tuple(d.get("samples") or ()),
            labels=dict(d.get("labels") or {}),
            series=tuple(int(v) for v in d.get("series") or ()),
            **times,
        )
