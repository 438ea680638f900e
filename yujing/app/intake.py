"""Taking a collected post in: understand it, say which post it is, then store it or link it.

The one sink of every collector (``Pipeline.accept``, ``accept_many``) and of ``yujing ingest``:

1. A post whose id is stored, or linked to a stored post, is the same post again: skipped
   before any work (re-crawled threads, re-polled feeds, a transcript file dropped twice),
   unless it is stored under that id and now reads differently (an edited post, a thread
   fetched again because its replies changed): then the stored row takes the new title, text
   and reach, keeping its id, rowid, copy group and first publication time. A call is never
   edited: a second record under a stored call's id with another text is another complaint
   (an export that reuses ids, two systems pushing), stored as a post of its own and said in
   the log, never written over the first.
2. It is understood (``detector.understand``) and identified against the recent posts
   (``detector.identity``, the rules are there):

   * a new post, a copy included, is committed with its copy group (``text_id``);
   * the same post seen through another channel is not stored again: its id is linked to the
     stored post (``post_aliases``). A post at the web address of a stored post from another
     source is that post whatever its text (a feed entry and the page it links to, in either
     order); otherwise the texts decide (``identity``). A post that is both (a page whose feed
     entry and whose anonymous repost were stored apart before it came) makes them one record:
     the second is merged into the first (``store.posts.merge``), and a detector that had
     counted both takes the second back. When it is the richer record (an author where the stored
     one had none, else more text, else more reach: ``identity.richness``), the stored row
     takes its fields but keeps its id and rowid. The detector reads rows in commit order
     (``store.posts.after``), so a replaced row is never a second post to it: if it had read
     the row already it corrects who posted it from the replacement's amendment
     (``store.posts.amendments_after``), else it reads the richer record.

``accept_many`` takes a batch in one transaction (``yujing ingest``, the inbox, crawls): one
commit per batch instead of one per post, and the answers hold only once it is committed. It
decides every post as taking them one by one would, but in stages over the whole batch (which
ids are stored, understanding, copy sketches, then identity and storage post by post), since
each stage runs faster on its own than interleaved with the others.

The copy index is rebuilt from the store when an ``Intake`` starts (the last
``copies.CAPACITY`` posts) and then follows it: posts another process committed (``yujing
ingest`` beside the daemon) are read in before each decision.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace

from yujing.detector.copies import Entry, Sketch
from yujing.detector.identity import Identity, richness, sketches_of
from yujing.detector.understand import Understander
from yujing.records import Post, ScoredPost, post_id
from yujing.store import Store

from .zones import ZoneWatch

__all__ = ["Intake"]

log = logging.getLogger("yujing.intake")


class Intake:
    def __init__(
        self,
        understander: Understander,
        store: Store,
        identity: Identity | None = None,
        zones: ZoneWatch | None = None,
    ):
        self.understander = understander
        self.store = store
        self.zones = zones  # told of each committed batch: times read in the wrong zone
        # An identity handed over (a config reload) keeps its index; it still reads what was
        # committed since.
        self.identity = identity or Identity()
        self.accepted = 0  # new posts committed
        self.known = 0  # ids seen before
        self.linked = 0  # the same post through another channel
        self.updated = 0  # stored posts that read differently when fetched again
        self.merged = 0  # stored posts found to be a second record of another
        self._behind = False  # posts may have been committed that the index has not read
        self.catch_up()

    def catch_up(self) -> None:
        """Read the posts committed since the index last looked, by any process."""
        posts, identity = self.store.posts, self.identity
        if identity.cursor == 0:
            for rowid, doc in posts.recent(identity.index.capacity):
                identity.remember_stored(rowid, doc)
        while rows := posts.after(identity.cursor, limit=1000):
            for rowid, doc in rows:
                identity.remember_stored(rowid, doc)

    def accept(self, post: Post) -> bool:
        """True when ``post`` is a new post, now committed."""
        return self.accept_many([post])[0]

    def accept_many(
        self,
        batch: Sequence[Post],
        understood: Mapping[str, ScoredPost] | None = None,
        sketches: Mapping[str, Sketch] | None = None,
    ) -> list[bool]:
        """``accept`` for each post, all committed in one transaction before this returns.

        ``understood``: posts of the batch understood already, by id (understanding in worker
        processes: ``ingest_workers``); the others are understood here when they are new.
        ``sketches``: the copy sketches of those understood posts, made with them.

        On failure nothing of the batch is stored, and the copy index, which may have learned
        posts of it, is rebuilt from the store, so no post is ever linked to one that was
        never committed.
        """
        counts = (self.accepted, self.known, self.linked, self.updated, self.merged)
        try:
            with self.store.transaction():
                answers = self._accept_batch(batch, understood or {}, sketches or {})
        except BaseException:
            self.accepted, self.known, self.linked, self.updated, self.merged = counts
            self.identity = Identity()
            self.catch_up()
            raise
        if self.zones is not None:
            try:
                self.zones.seen(batch, answers)
            except sqlite3.Error:  # a note about times must never undo a committed batch
                log.exception("checking the times of the batch's posts failed")
        return answers

    def _accept_batch(
        self,
        batch: Sequence[Post],
        given: Mapping[str, ScoredPost],
        given_sketches: Mapping[str, Sketch],
    ) -> list[bool]:
        # The transaction holds the store's write lock: no other process commits until it
        # ends, so what is stored is asked once for the whole batch, and the posts committed
        # by others are read in once, before the first decision.
        stored = self.store.posts.known({post.id for post in batch})
        # Every new post is understood before any is identified: each stage then runs over the
        # batch on its own, with its tables warm in the processor's caches, which makes the two
        # interleaved post by post markedly slower. Understanding depends on the post alone.
        understood: dict[str, ScoredPost] = {}
        sketches: dict[str, Sketch] = {}
        for post in batch:
            if post.id not in stored and post.id not in understood:
                scored = given.get(post.id)
                understood[post.id] = scored or self.understander.understand(post)
                if scored is not None and post.id in given_sketches:
                    sketches[post.id] = given_sketches[post.id]
        # Likewise their sketches for copy detection (those not made with them), all in one go.
        unsketched = [pid for pid in understood if pid not in sketches]
        made = sketches_of(understood[pid].post for pid in unsketched)
        sketches.update(zip(unsketched, made, strict=True))
        self._behind = True
        answers = []
        for post in batch:
            scored = understood.pop(post.id, None)
            if scored is None:  # stored before the batch, or earlier in it (ids repeat)
                call = post.extras.get("channel") == "hotline"
                other = self._another_call(post) if call else None
                if other is not None:
                    answers.append(self._take_other(other))
                    continue
                self.known += 1
                if not call:  # a call is never edited: the same call again, or another call
                    self._update_if_edited(post)
                answers.append(False)
            else:
                answers.append(self._take(scored, sketches[post.id]))
        return answers

    def _take(self, scored: ScoredPost, sk: Sketch) -> bool:
        """Identify and commit a post not stored before; True when it is stored as new."""
        if self._behind:
            self.catch_up()
            self._behind = False
        verdict = self.identity.classify(scored, sk)
        same = verdict.same_as
        page = self._same_page(scored.post)
        if page is not None and self._link(scored, page, sk):
            if same is not None and same.post_id != page:
                self._merge(same, page)
            return False
        if same is not None and self._link(scored, same.post_id, sk, same):
            return False
        scored = replace(scored, text_id=verdict.text_id)
        rowid = self.store.posts.insert(scored)  # not stored, nor an alias: asked above
        if rowid is None:  # another process stored the same id meanwhile
            self.known += 1
            return False
        self.identity.remember(scored, verdict.sketch)
        if rowid == self.identity.cursor + 1:
            self.identity.cursor = rowid  # nobody else wrote in between: nothing to read back
        else:
            self._behind = True
        self.accepted += 1
        return True

    def _another_call(self, post: Post) -> Post | None:
        """A call under a stored call's id that says something else: the same call under an id
        of its own (from the id and its text), or None when it is the stored call again."""
        doc = self.store.posts.get(post.id)
        if doc is None or doc.get("extras", {}).get("channel") != "hotline":
            return None
        if post.text == doc["text"]:  # the usual case, decided before any work
            return None
        text = self.understander.understand(post).post.text  # normalised as the stored one
        if text == doc["text"]:
            return None
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        other = replace(
            post,
            id=post_id(post.source, f"{post.id}:{digest}"),
            extras={**post.extras, "same_id_as": post.id},
        )
        if not self.store.posts.known({other.id}):
            log.warning(
                "%s: a call under the stored call %s's id says something else; kept as a post "
                "of its own (%s), the first is unchanged",
                post.source,
                post.extras.get("call_id") or post.id,
                other.id,
            )
        return other

    def _take_other(self, post: Post) -> bool:
        if self.store.posts.known({post.id}):  # sent again: the same second record
            self.known += 1
            return False
        scored = self.understander.understand(post)
        return self._take(scored, sketches_of([scored.post])[0])

    def _update_if_edited(self, post: Post) -> bool:
        doc = self.store.posts.get(post.id)
        if doc is None:  # an alias: the post is stored under another id
            return False
        stored = ScoredPost.from_dict(doc)
        was = stored.post
        if (post.title, post.text, post.reach) == (was.title, was.text, was.reach):
            return False  # the usual case, decided before any work
        # A relative date ("3分钟前") read again is another time: the first reading stands.
        edited = replace(post, published_at=was.published_at, author=post.author or was.author)
        scored = replace(self.understander.understand(edited), text_id=stored.text_id)
        now = scored.post  # normalised as the stored one was: compare like with like
        if (now.title, now.text, now.reach) == (was.title, was.text, was.reach):
            return False
        if not self.store.posts.update(scored):
            return False
        self.updated += 1
        return True

    def _merge(self, entry: Entry, into: str) -> None:
        """The stored post ``entry`` holds turned out to be another record of ``into`` (the
        post just linked to ``into`` is both: a repost's text and a feed entry's page): one
        record is kept, the richer one ``into`` holds now."""
        doc = self.store.posts.get(entry.post_id)
        if doc is None:
            return
        second = ScoredPost.from_dict(doc).post
        if not self.store.posts.merge(second, into):
            return
        # Later sightings of that text are the kept post.
        self.identity.moved(entry, into, ScoredPost.from_dict(self.store.posts.get(into) or doc))
        self.merged += 1

    def _same_page(self, post: Post) -> str | None:
        """The stored post at ``post``'s web address from another source (a feed entry and the
        page it links to), whatever their texts; None if there is none."""
        stored_id = self.store.posts.by_address(post.url)
        if stored_id is None:
            return None
        doc = self.store.posts.get(stored_id)
        # One source's own entries sharing an address (a feed's entries without a link of their
        # own all carry the feed's) are not one post.
        return stored_id if doc is not None and doc["source"] != post.source else None

    def _link(
        self, scored: ScoredPost, stored_id: str, sk: Sketch, entry: Entry | None = None
    ) -> bool:
        """Link ``scored`` to the stored post it is; False if that post cannot be found."""
        posts = self.store.posts
        doc = posts.get(stored_id)
        if doc is None:
            return False  # not in this store (another file?): better kept than lost
        stored = ScoredPost.from_dict(doc)
        richer = richness(scored.post) > richness(stored.post)
        if richer:
            # The richer record under the stored id, in the stored copy group, published when
            # it was first seen.
            first = min(stored.post.published_at, scored.post.published_at)
            kept = replace(
                scored,
                post=replace(scored.post, id=stored.post.id, published_at=first),
                text_id=stored.text_key,
            )
            posts.replace(kept, alias=scored.post)
        else:
            posts.link(scored.post, stored_id)
        entry = entry or self.identity.index.get(stored.text_key)
        if entry is not None and entry.post_id == stored_id:
            self.identity.linked(entry, scored.post, sk if richer else None)
        self.linked += 1
        return True
