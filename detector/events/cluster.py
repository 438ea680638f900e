"""Events inside a product's complaints: posts grouped by what they say, as they arrive.

A wave of complaints is rarely one story. "康宁 refused my claim" is said by people whose thyroid
nodule was called undisclosed, by people asked for the same papers a seventh time, and by people
who lost money surrendering: three events a PR team handles apart. Each complaint is cut into
words (``emerging.terms``: jieba words, without the product's own names), its
words weighed by how rare they are among the complaints seen so far (TF-IDF with the document
counts kept as posts arrive, so a word every complaint uses, 理赔, weighs little) and compared, by
cosine, with the centroid of each open event of its product. It joins the closest event when the
similarity reaches ``JOIN``; otherwise it opens an event of its own (a single pass, as streaming
news clustering does: the posts are never read twice).

A post is compared only with the events that share a word with it (an inverted index from word
to events), so the cost is a few dictionary look-ups per word however many events are open. An
event not joined for ``QUIET_DAYS`` is closed and forgotten: later posts open a new one. Everything is in
arrival order and plain numbers, so the same posts give the same events after a restart
(``to_dict`` / ``from_dict``) and in a replay.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from yujing.records import ScoredPost, format_time, parse_time

from ..emerging import terms

__all__ = ["Event", "EventClusters", "FirstPost", "JOIN", "QUIET_DAYS"]

JOIN = 0.15  # cosine similarity to an event's centroid at which a post joins it
QUIET_DAYS = 14.0  # an event not joined for this long is closed
MAX_SAMPLES = 5  # representative posts kept per event: the most typical ones
PRUNE_EVERY = 256  # complaints between sweeps for events gone quiet
MIN_DF = 2  # complaints that must use a word before it ties posts together
MAX_CENTROID = 200  # words kept in a centroid: its weight is in its top words, the rest is noise


@dataclass(slots=True)
class FirstPost:
    """Who said it first (首发): the first post of an event, as a PR team asks for it."""

    source: str
    author: str | None
    at: datetime
    url: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "author": self.author,
            "at": format_time(self.at),
            "url": self.url,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FirstPost:
        return cls(d["source"], d.get("author"), parse_time(d["at"]), d["url"], d["text"])


@dataclass(slots=True)
class Event:
    """One story inside a product's complaints."""

    id: str
    product: str
    first: FirstPost
    last_at: datetime
    centroid: dict[str, float] = field(default_factory=dict)  # sum of the posts' unit vectors
    words: Counter[str] = field(default_factory=Counter)  # posts using each word
    posts: int = 0
    people: set[str] = field(default_factory=set)  # authors (hashes); anonymous posts add none
    channels: Counter[str] = field(default_factory=Counter)  # posts per source
    samples: list[tuple[float, str]] = field(default_factory=list)  # (similarity, post id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "product": self.product,
            "first": self.first.to_dict(),
            "last_at": format_time(self.last_at),
            "centroid": dict(self.centroid),  # exact: a restart must go on as if never stopped
            "words": dict(self.words),
            "posts": self.posts,
            "people": sorted(self.people),
            "channels": dict(self.channels),
            "samples": [[s, k] for s, k in self.samples],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Event:
        return cls(
            id=d["id"],
            product=d["product"],
            first=FirstPost.from_dict(d["first"]),
            last_at=parse_time(d["last_at"]),
            centroid=dict(d["centroid"]),
            words=Counter(d["words"]),
            posts=int(d["posts"]),
            people=set(d["people"]),
            channels=Counter(d["channels"]),
            samples=[(float(s), str(k)) for s, k in d["samples"]],
        )


class EventClusters:
    """The open events of every product, fed one complaint at a time (``add``)."""

    def __init__(
        self,
        names: Mapping[str, Iterable[str]] | None = None,
        join: float = JOIN,
        quiet_days: float = QUIET_DAYS,
    ):
        # Each product's own names and aliases: never a word of its events.
        self.names = {p: frozenset(t.lower() for t in ts if t) for p, ts in (names or {}).items()}
        self.join = join
        self.quiet = timedelta(days=quiet_days)
        self.documents = 0  # complaints read, for the words' rarity
        self.df: Counter[str] = Counter()  # complaints using each word
        self.events: dict[str, Event] = {}
        self._index: dict[str, dict[str, set[str]]] = {}  # product -> word -> open event ids

    def add(self, post: ScoredPost, product: str) -> Event | None:
        """Place a complaint about ``product`` in an event (the one returned); None when its text
        has no word to go by."""
        # Words, not two-word phrases: two people telling one story seldom join the same pair.
        text = f"{post.post.title} {post.post.text}"
        words = terms(text, self.names.get(product, frozenset()), phrases=False)
        if not words:
            return None
        self.documents += 1
        self.df.update(words)
        vector = self._vector(words)
        at = post.post.published_at
        best, similarity = self._closest(product, vector, at)
        if best is None or similarity < self.join:
            best = self._open(post, product, at)
            similarity = 1.0
        self._join(best, post, words, vector, similarity, at)
        if self.documents % PRUNE_EVERY == 0:
            self.close_quiet(at)
        return best

    def close_quiet(self, now: datetime) -> list[Event]:
        """Close (and forget) every event not joined for ``quiet_days`` before ``now``: the
        saved state holds the open events only. Done every ``PRUNE_EVERY`` complaints; an event
        met by a new post is closed then too."""
        closed = [e for e in self.events.values() if now - e.last_at > self.quiet]
        for event in closed:
            self._unindex(event, list(event.centroid))
            del self.events[event.id]
        return closed

    def open_events(self, product: str, now: datetime | None = None) -> list[Event]:
        """The product's open events (joined within ``quiet_days`` of ``now``, when given), most
        people first."""
        ids = set().union(*self._index.get(product, {}).values()) if product in self._index else ()
        found = [self.events[i] for i in ids]
        if now is not None:
            found = [e for e in found if now - e.last_at <= self.quiet]
        return sorted(found, key=lambda e: (-len(e.people), -e.posts, e.first.at, e.id))

    def _vector(self, words: set[str]) -> dict[str, float]:
        # Smoothed IDF over the complaints read so far; each word once per post (short texts).
        # A word no other complaint used yet cannot tie this post to any event: it would only
        # dilute the words that can, so it is left out of the comparison (it still joins the
        # centroid, for the posts to come).
        n = self.documents
        df = self.df
        v = {w: math.log((n + 1) / (df[w] + 1)) + 1.0 for w in words if df[w] >= MIN_DF}
        if not v:
            v = {w: 1.0 for w in words}
        norm = math.sqrt(sum(x * x for x in v.values()))
        return {w: x / norm for w, x in v.items()}

    def _closest(
        self, product: str, vector: Mapping[str, float], at: datetime
    ) -> tuple[Event | None, float]:
        index = self._index.get(product, {})
        candidates: set[str] = set()
        for w in vector:
            candidates |= index.get(w, set())
        best, best_sim = None, -1.0
        for event_id in sorted(candidates):  # sorted: ties go the same way after a restart
            event = self.events[event_id]
            if at - event.last_at > self.quiet:
                self._unindex(event, list(event.centroid))  # closed: it is over
                continue
            sim = _cosine(vector, event.centroid)
            if sim > best_sim:
                best, best_sim = event, sim
        return best, best_sim

    def _open(self, post: ScoredPost, product: str, at: datetime) -> Event:
        p = post.post
        digest = hashlib.sha256(f"{product}\0{p.id}".encode()).hexdigest()[:12]
        first = FirstPost(p.source, p.author, at, p.url, (p.title + " " + p.text).strip()[:200])
        event = Event(id=f"{product}-{digest}", product=product, first=first, last_at=at)
        self.events[event.id] = event
        return event

    def _join(
        self,
        event: Event,
        post: ScoredPost,
        words: set[str],
        vector: Mapping[str, float],
        similarity: float,
        at: datetime,
    ) -> None:
        for w, x in vector.items():
            event.centroid[w] = event.centroid.get(w, 0.0) + x
        if len(event.centroid) > MAX_CENTROID:
            kept = sorted(event.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CENTROID]
            dropped = set(event.centroid) - {w for w, _ in kept}
            event.centroid = dict(kept)
            self._unindex(event, dropped)
        index = self._index.setdefault(event.product, {})
        for w in event.centroid:
            index.setdefault(w, set()).add(event.id)
        event.words.update(words)
        event.posts += 1
        if post.post.author:
            event.people.add(post.post.author)
        event.channels[post.post.source] += 1
        event.last_at = max(event.last_at, at)
        event.samples.append((similarity, post.post.id))
        event.samples.sort(key=lambda s: (-s[0], s[1]))
        del event.samples[MAX_SAMPLES:]

    def _unindex(self, event: Event, words: Iterable[str]) -> None:
        index = self._index.get(event.product, {})
        for w in words:
            ids = index.get(w)
            if ids is not None:
                ids.discard(event.id)
                if not ids:
                    del index[w]

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "df": dict(self.df),
            "events": [e.to_dict() for e in self.events.values()],
            "open": sorted(
                {i for words in self._index.values() for ids in words.values() for i in ids}
            ),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        self.documents = int(state["documents"])
        self.df = Counter(state["df"])
        self.events = {d["id"]: Event.from_dict(d) for d in state["events"]}
        self._index = {}
        for event_id in state["open"]:
            event = self.events[event_id]
            index = self._index.setdefault(event.product, {})
            for w in event.centroid:
                index.setdefault(w, set()).add(event_id)


def _cosine(vector: Mapping[str, float], centroid: Mapping[str, float]) -> float:
    dot = sum(x * centroid.get(w, 0.0) for w, x in vector.items())
    if not dot:
        return 0.0
    norm = math.sqrt(sum(c * c for c in centroid.values()))
    return dot / norm
