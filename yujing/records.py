"""Typed records passed between the stages: collect -> understand -> detect (alerts: ``yujing.alerts``).

Each stage consumes and produces only these records; none reaches into another's insides.
Times are timezone-aware and in UTC.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "Reach",
    "Post",
    "ScoredPost",
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
        # Spelled out, not dataclasses.asdict: that deep-copies every value recursively and
        # was a third of the time of storing a post. Extras are JSON values, copied one level
        # down like ``from_dict`` does.
        reach = self.reach
        return {
            "source": self.source,
            "url": self.url,
            "id": self.id,
            "author": self.author,
            "title": self.title,
            "text": self.text,
            "published_at": format_time(self.published_at),
            "fetched_at": format_time(self.fetched_at),
            "reach": {
                "views": reach.views,
                "comments": reach.comments,
                "reposts": reach.reposts,
                "likes": reach.likes,
            },
            "extras": dict(self.extras),
        }

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
    # Copy group: the id of the first stored post with the same or nearly the same text (this
    # post's own id when it is the first). None: not identified (a post stored before copies
    # were tracked); it then counts as a text of its own.
    text_id: str | None = None
    # Whether the complaint gate (``detector.complaint``) read the post as a complaint: what a
    # burst counts. None: not judged (a record stored before the gate, or built by hand); the
    # detector then counts it as it counted such posts before (``mentions.is_complaint``).
    complaint: bool | None = None

    @property
    def text_key(self) -> str:
        """The copy group this post counts in: ``text_id``, else its own id."""
        return self.text_id or self.post.id

    def to_dict(self) -> dict[str, Any]:
        d = self.post.to_dict()
        d.update(
            products=list(self.products),
            categories=list(self.categories),
            sentiment=round(self.sentiment, 4),
            collective=self.collective,
            text_id=self.text_id,
            complaint=self.complaint,
        )
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScoredPost:
        """A stored post (``to_dict()``) back as the detector saw it."""
        return cls(
            post=Post.from_dict(d),
            products=tuple(d.get("products") or ()),
            categories=tuple(d.get("categories") or ()),
            sentiment=float(d.get("sentiment", 0.5)),
            collective=bool(d.get("collective", False)),
            text_id=d.get("text_id"),  # absent from posts stored before copies were tracked
            complaint=_judged(d.get("complaint")),  # absent from posts stored before the gate
        )


def _judged(value: Any) -> bool | None:
    return None if value is None else bool(value)
