"""Who and what made up some posts: one bucket of a series, or one whole wave.

A burst counts posts; its alert says who posted them (distinct complainants, anonymous posts),
where (sources), how loudly (reach), in what words (collective-action terms, categories) and
shows a few of them. ``Details`` keeps that per bucket inside the window and per open wave,
bounded whatever the wave's size.

Copies count once as text and once per account as people: each post's copy group
(``ScoredPost.text_id``) is kept with the accounts that posted it, so a campaign of one text
from six accounts is six complainants, one text, and ``same_text_accounts`` six.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from yujing.records import ScoredPost, format_time

__all__ = ["Details", "NEGATIVE", "SAMPLES", "MAX_AUTHORS", "MAX_TEXTS"]

NEGATIVE = 0.4  # sentiment below this is a negative post
SAMPLES = 5
MAX_AUTHORS = 4096  # distinct complainants remembered per bucket and per wave
MAX_TEXTS = 4096  # distinct texts (copy groups) remembered per bucket and per wave


@dataclass(slots=True)
class Details:
    """Who and what made up some posts: one bucket, or one whole wave."""

    posts: int = 0
    negative: int = 0
    collective: int = 0
    reach: int = 0
    anonymous: int = 0  # posts without an author: counted apart, never as people
    overflow: int = 0  # authors beyond MAX_AUTHORS: people, not remembered one by one
    text_overflow: int = 0  # texts beyond MAX_TEXTS: counted, their accounts not tracked
    sources: set[str] = field(default_factory=set)
    authors: set[str] = field(default_factory=set)
    texts: dict[str, set[str]] = field(default_factory=dict)  # copy group -> its accounts
    terms: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    samples: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def add(self, sp: ScoredPost, terms: Sequence[str], keep_samples: bool = True) -> None:
        post = sp.post
        self.posts += 1
        self.negative += sp.sentiment < NEGATIVE
        self.collective += bool(terms) or sp.collective
        self.reach += post.reach.total()
        self.sources.add(post.source)
        if not post.author:
            self.anonymous += 1
        elif len(self.authors) < MAX_AUTHORS:
            self.authors.add(post.author[:12])
        elif post.author[:12] not in self.authors:
            self.overflow += 1
        self._add_text(sp.text_key[:12], post.author[:12] if post.author else None)
        self.terms.update(set(terms))
        self.categories.update(sp.categories)
        if keep_samples:
            sample = {
                "id": post.id,
                "source": post.source,
                "url": post.url,
                "title": post.title,
                "published_at": format_time(post.published_at),
            }
            self.samples.append((post.reach.total(), sample))
            if len(self.samples) > SAMPLES:
                self.samples.sort(key=lambda x: (x[0], x[1]["published_at"]), reverse=True)
                del self.samples[SAMPLES:]

    def _add_text(self, text: str, account: str | None) -> None:
        accounts = self.texts.get(text)
        if accounts is None:
            if len(self.texts) >= MAX_TEXTS:
                self.text_overflow += 1
                return
            accounts = self.texts[text] = set()
        # Anonymous copies add a post to the text, not an account.
        if account is not None and len(accounts) < MAX_AUTHORS:
            accounts.add(account)

    def merge(self, other: Details) -> None:
        self.posts += other.posts
        self.negative += other.negative
        self.collective += other.collective
        self.reach += other.reach
        self.anonymous += other.anonymous
        self.overflow += other.overflow
        self.sources |= other.sources
        room = MAX_AUTHORS - len(self.authors)
        new = other.authors - self.authors
        if len(new) > room:
            self.overflow += len(new) - room
            new = set(list(new)[:room])
        self.authors |= new
        self.text_overflow += other.text_overflow
        for text, accounts in other.texts.items():
            mine = self.texts.get(text)
            if mine is None:
                if len(self.texts) >= MAX_TEXTS:
                    self.text_overflow += 1
                    continue
                mine = self.texts[text] = set()
            mine |= set(list(accounts - mine)[: MAX_AUTHORS - len(mine)])
        self.terms.update(other.terms)
        self.categories.update(other.categories)
        self.samples = sorted(
            self.samples + other.samples,
            key=lambda x: (x[0], x[1]["published_at"]),
            reverse=True,
        )[:SAMPLES]

    @property
    def complainants(self) -> int:
        """Distinct people: named authors and callers; anonymous posts are not people."""
        return len(self.authors) + self.overflow

    @property
    def distinct_texts(self) -> int:
        """Distinct texts: a copy-paste campaign is one."""
        return len(self.texts) + self.text_overflow

    @property
    def same_text_accounts(self) -> int:
        """The most accounts that posted one and the same text (near-copies included)."""
        return max(map(len, self.texts.values()), default=0)

    def dump(self) -> dict[str, Any]:
        return {
            "n": [
                self.posts,
                self.negative,
                self.collective,
                self.reach,
                self.anonymous,
                self.overflow,
                self.text_overflow,
            ],
            "s": sorted(self.sources),
            "a": sorted(self.authors),
            "T": {text: sorted(accounts) for text, accounts in self.texts.items()},
            "t": dict(self.terms),
            "c": dict(self.categories),
            "x": [[r, s] for r, s in self.samples],
        }

    @classmethod
    def load(cls, d: dict[str, Any]) -> Details:
        n = d["n"]
        return cls(
            posts=n[0],
            negative=n[1],
            collective=n[2],
            reach=n[3],
            anonymous=n[4],
            overflow=n[5] if len(n) > 5 else 0,
            text_overflow=n[6] if len(n) > 6 else 0,
            sources=set(d["s"]),
            authors=set(d["a"]),
            # State saved before copies were tracked has no texts: they start empty.
            texts={text: set(accounts) for text, accounts in d.get("T", {}).items()},
            terms=Counter(d["t"]),
            categories=Counter(d["c"]),
            samples=[(int(r), dict(s)) for r, s in d["x"]],
        )
