"""Which post is which: one post seen through two channels is one post; one text posted by two
accounts is two posts (copies).

A post is identified by its source and the source's own id for it (thread URL, feed guid, call
id: ``records.post_id``), never by its text: complainants write the same sentence, and
campaigns copy one, and each of those posts is a post and each account a person. On top of
that identity, every new post is compared with the recent ones (``copies.CopyIndex``):

* **The same post through another channel** (a forum and its RSS feed, a complaint platform
  and its reposts, a forum post read out on the hotline) is one post: near-identical text
  (similarity >= ``SAME``), published within ``SAME_WITHIN`` of each other, from a source the
  stored post was not seen from, and authors that do not contradict: one side anonymous, or
  the same author hash, or different channel kinds (a forum account and a caller's number
  live in different namespaces, so their hashes can never match). It is linked to the stored
  post, not stored or counted again; when it is the richer record, the stored one takes its
  fields (see ``yujing.app.intake``).
* **A copy**: a post whose text is similar (>= ``copies.COPY``) to a recent text, and not the
  same post. It is stored and counted, its author is a person, and it joins that text's copy
  group (``ScoredPost.text_id``, the id of the group's first post). The index keeps each group
  once, held by its first post: a copy is compared with that post's text, source and author.
* Otherwise the post starts a group of its own (``text_id`` is its own id).

So the same text from two different named accounts of one channel kind is always two posts.
Very short texts (under ``copies.SHORT`` letters and digits, title included) are copies only
when identical, and never taken for the same post: too little to tell two people apart.

The daemon and ``yujing replay`` both decide through ``Identity``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from yujing.records import Post, ScoredPost

from .copies import (
    CAPACITY,
    HORIZON,
    SHORT,
    CopyIndex,
    Entry,
    Sketch,
    sketch_skeleton,
    sketch_skeletons,
)
from .normalize import skeleton

__all__ = [
    "Identity",
    "Verdict",
    "SAME",
    "SAME_WITHIN",
    "channel_of",
    "is_same_post",
    "richness",
    "sketch_of",
    "sketches_of",
]

log = logging.getLogger("yujing.detector")

SAME = 0.85  # near-identical: what a feed or a repost does to a text, not what a person does
SAME_WITHIN = 48 * 3600.0  # seconds between two sightings of one post


def channel_of(post: Post) -> str:
    """Whose author namespace the post comes from: "hotline" (callers' numbers; the inbox
    marks its posts) or "web" (site accounts)."""
    return str(post.extras.get("channel") or "web")


def richness(post: Post) -> tuple[bool, int, int]:
    """How much a record tells, compared in order: an author, more text, public attention."""
    return (post.author is not None, len(post.text), post.reach.total())


def sketch_of(post: Post) -> Sketch:
    """The sketch of the text copies are judged on: the body, since titles are cut differently
    by each channel; with the title when the body alone is too short to tell ("如题")."""
    return sketch_skeleton(_compared(post))


def sketches_of(posts: Iterable[Post]) -> list[Sketch]:
    """``sketch_of`` each post, computed for all at once (a batch: far fewer numpy calls)."""
    return sketch_skeletons([_compared(post) for post in posts])


def _compared(post: Post) -> str:
    skel = skeleton(post.text)  # made once: it is both the length to judge and the sketch's
    if len(skel) < SHORT:
        skel = skeleton(f"{post.title} {post.text}")
    return skel


def is_same_post(post: Post, entry: Entry, similarity: float, sk: Sketch) -> bool:
    """Whether ``post`` is the remembered post ``entry`` seen through another channel."""
    if similarity < SAME or sk.length < SHORT or post.source in entry.sources:
        return False
    if abs(post.published_at.timestamp() - entry.published) > SAME_WITHIN:
        return False
    if channel_of(post) not in entry.channels:
        return True  # hashes from different namespaces say nothing about who it was
    return post.author is None or entry.author is None or post.author == entry.author


@dataclass(frozen=True, slots=True)
class Verdict:
    """What ``Identity.classify`` decided for one post."""

    text_id: str  # its copy group
    sketch: Sketch
    same_as: Entry | None = None  # set: this stored post, seen through another channel
    similarity: float = 0.0  # to the post it copies or is


class Identity:
    """Recent texts, one entry per copy group, bounded (``copies.HORIZON``, ``copies.CAPACITY``).

    ``classify`` a new post, then ``remember`` it once it is accepted, or tell ``linked`` when
    it was a stored post seen again. ``cursor`` is the store rowid the index has read up to,
    for the daemon, which feeds it every stored post (``remember_stored``).
    """

    def __init__(self, horizon: float = HORIZON, capacity: int = CAPACITY):
        self.index = CopyIndex(horizon, capacity)
        self.cursor = 0

    def classify(self, scored: ScoredPost, sk: Sketch | None = None) -> Verdict:
        post = scored.post
        sk = sk or sketch_of(post)
        copy: tuple[Entry, float] | None = None
        for entry, sim in self.index.near(sk, post.published_at.timestamp()):
            if is_same_post(post, entry, sim, sk):
                return Verdict(entry.text_id, sk, same_as=entry, similarity=sim)
            if copy is None:
                copy = (entry, sim)  # the most similar text's group
        if copy is not None:
            return Verdict(copy[0].text_id, sk, similarity=copy[1])
        return Verdict(post.id, sk)

    def remember(self, scored: ScoredPost, sk: Sketch | None = None) -> None:
        """Remember an accepted post: a new text, or one more post of its copy group."""
        post = scored.post
        at = post.published_at.timestamp()
        if scored.text_key in self.index:
            self.index.touch(scored.text_key, at)
            return
        self.index.add(
            Entry(
                text_id=scored.text_key,
                post_id=post.id,
                sources=(post.source,),
                channels=(channel_of(post),),
                author=post.author,
                published=at,
                seen=at,
                sketch=sk or sketch_of(post),
            )
        )

    def linked(self, entry: Entry, post: Post, richer: Sketch | None = None) -> None:
        """``post`` turned out to be ``entry``'s post, seen through another channel; ``richer``:
        its sketch, when its record replaced the stored one (a feed's first lines by the whole
        page), so later sightings are compared with the whole text."""
        if post.source not in entry.sources:
            entry.sources += (post.source,)
        if channel_of(post) not in entry.channels:
            entry.channels += (channel_of(post),)
        if entry.author is None:
            entry.author = post.author  # the richer record's, which now holds the stored row
        if richer is not None:
            self.index.resketch(entry.text_id, richer)
        self.index.touch(entry.text_id, post.published_at.timestamp())

    def moved(self, entry: Entry, post_id: str, kept: ScoredPost) -> None:
        """``entry``'s post was merged into the stored ``kept``: later sightings of its text are
        that post."""
        entry.post_id = post_id
        entry.author = entry.author or kept.post.author
        if kept.post.source not in entry.sources:
            entry.sources += (kept.post.source,)
        if channel_of(kept.post) not in entry.channels:
            entry.channels += (channel_of(kept.post),)

    def remember_stored(self, rowid: int, doc: dict[str, Any]) -> ScoredPost | None:
        """Remember a post read from the store (``ScoredPost.to_dict``), committed as ``rowid``.

        Posts stored before copies were tracked have no ``text_id``: they get one here, in
        memory, as if they had just arrived. Returns the post, or None for an unreadable doc.
        """
        self.cursor = max(self.cursor, rowid)
        try:
            scored = ScoredPost.from_dict(doc)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("copy index skipped stored post %d: %s", rowid, exc)
            return None
        if scored.text_id is not None and scored.text_id in self.index:
            self.index.touch(scored.text_id, scored.post.published_at.timestamp())
            return scored
        sk = sketch_of(scored.post)
        if scored.text_id is None:
            scored = replace(scored, text_id=self.classify(scored, sk).text_id)
        self.remember(scored, sk)
        return scored
