"""Who and what made up some posts: one bucket of a series, or one whole wave.

A burst counts posts; its alert says who posted them (distinct complainants, anonymous posts),
where (sources), how loudly (reach), in what words (collective-action terms, categories) and
shows a few of them. ``Details`` keeps that per bucket inside the window and per open wave,
bounded whatever the wave's size.

Copies count once as text and once per account as people: each post's copy group
(``ScoredPost.text_id``) is kept with the accounts that posted it, so a campaign of one text
from six accounts is six complainants, one text, and ``same_text_accounts`` six.

People (``complainants``) are named authors and callers: a call whose export gives no caller's
number is still somebody calling, so each such call is one person (``calls``). A post without
any author (a feed entry without one, a guest post) is counted apart (``anonymous``): it cannot
be told from another, so it is never a person. Each author's posts are counted, so one person
posting again and again shows as one complainant with many posts (``busiest``).

A stored post replaced by a richer record of it (``amend``) moves from anonymous to its author,
or from one author to another, without being counted again; a second record of a post counted
already is taken back (``remove``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from yujing.records import Post, ScoredPost, format_time

from .identity import channel_of

__all__ = ["Details", "NEGATIVE", "SAMPLES", "MAX_AUTHORS", "MAX_TEXTS"]

NEGATIVE = 0.4  # sentiment below this is a negative post
SAMPLES = 5
MAX_AUTHORS = 4096  # distinct complainants remembered per bucket and per wave
MAX_TEXTS = 4096  # distinct texts (copy groups) remembered per bucket and per wave


def _is_call(post: Post) -> bool:
    """A hotline call: its caller is a person even unnamed."""
    return channel_of(post) == "hotline"


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
    calls: int = 0  # hotline calls without a caller's number: each one a person
    sources: set[str] = field(default_factory=set)
    authors: Counter[str] = field(default_factory=Counter)  # author -> posts
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
        self._add_person(post, 1)
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
            if _is_call(post):  # where to find the recording: the call's id, its file and row
                found = {k: post.extras.get(k) for k in ("call_id", "file", "line")}
                sample.update({k: v for k, v in found.items() if v not in (None, "")})
            self.samples.append((post.reach.total(), sample))
            if len(self.samples) > SAMPLES:
                self.samples.sort(key=lambda x: (x[0], x[1]["published_at"]), reverse=True)
                del self.samples[SAMPLES:]

    def _add_person(self, post: Post, n: int) -> None:
        """Count ``post``'s author (``n`` = 1), or take it back (``n`` = -1)."""
        if post.author:
            author = post.author[:12]
            if author in self.authors or len(self.authors) < MAX_AUTHORS:
                self.authors[author] += n
                if self.authors[author] <= 0:
                    del self.authors[author]
            else:
                self.overflow = max(0, self.overflow + n)
        elif _is_call(post):
            self.calls = max(0, self.calls + n)
        else:
            self.anonymous = max(0, self.anonymous + n)

    def remove(self, sp: ScoredPost, terms: Sequence[str]) -> None:
        """Take back a post ``add``-ed here that was another record of a post counted already
        (its texts and samples stay: they show the same post)."""
        post = sp.post
        self.posts = max(0, self.posts - 1)
        self.negative = max(0, self.negative - (sp.sentiment < NEGATIVE))
        self.collective = max(0, self.collective - (bool(terms) or sp.collective))
        self.reach = max(0, self.reach - post.reach.total())
        self._add_person(post, -1)
        self.terms.subtract(set(terms))
        self.categories.subtract(sp.categories)
        self.terms, self.categories = +self.terms, +self.categories

    def amend(self, was: ScoredPost, now: ScoredPost) -> None:
        """A post counted here as ``was`` is now known as ``now`` (a richer record of it): its
        person and reach change, its count does not."""
        if was.post.author != now.post.author or _is_call(was.post) != _is_call(now.post):
            self._add_person(was.post, -1)
            self._add_person(now.post, 1)
            if now.post.author:
                accounts = self.texts.get(was.text_key[:12])
                if accounts is not None and len(accounts) < MAX_AUTHORS:
                    accounts.add(now.post.author[:12])
        self.reach = max(0, self.reach + now.post.reach.total() - was.post.reach.total())
        self.sources.add(now.post.source)

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
        self.calls += other.calls
        self.sources |= other.sources
        room = MAX_AUTHORS - len(self.authors)
        for author, n in other.authors.items():
            if author in self.authors or room > 0:
                room -= author not in self.authors
                self.authors[author] += n
            else:
                self.overflow += 1
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
        """Distinct people: named authors and callers, and each call without a caller's number;
        anonymous posts are not people."""
        return len(self.authors) + self.overflow + self.calls

    def busiest(self, at_least: int) -> list[tuple[str, int]]:
        """Authors with ``at_least`` posts here, most posts first: one person complaining again
        and again."""
        return [(a, n) for a, n in self.authors.most_common() if n >= at_least]

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
                self.calls,
            ],
            "s": sorted(self.sources),
            "A": dict(sorted(self.authors.items())),
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
            calls=n[7] if len(n) > 7 else 0,
            sources=set(d["s"]),
            # State saved before posts were counted per author: one post each.
            authors=Counter(d["A"]) if "A" in d else Counter(dict.fromkeys(d.get("a", ()), 1)),
            # State saved before copies were tracked has no texts: they start empty.
            texts={text: set(accounts) for text, accounts in d.get("T", {}).items()},
            terms=Counter(d["t"]),
            categories=Counter(d["c"]),
            samples=[(int(r), dict(s)) for r, s in d["x"]],
        )
