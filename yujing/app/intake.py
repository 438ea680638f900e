"""Taking a collected post in: understand it, say which post it is, then store it or link it.

The one sink of every collector (``Pipeline.accept``) and of ``yujing ingest``:

1. A post whose id is stored, or linked to a stored post, is the same post again: skipped
   before any work (re-crawled threads, re-polled feeds, a transcript file dropped twice).
2. It is understood (``detector.understand``) and identified against the recent posts
   (``detector.identity``, the rules are there):

   * a new post, a copy included, is committed with its copy group (``text_id``);
   * the same post seen through another channel is not stored again: its id is linked to the
     stored post (``post_aliases``). When it is the richer record (an author where the stored
     one had none, else more text, else more reach: ``identity.richness``), the stored row
     takes its fields but keeps its id and rowid. The detector reads rows in commit order
     (``store.posts.after``), so a replaced row is never a second post to it: if it had read
     the row already it keeps what it counted, else it reads the richer record.

``accept_many`` takes a batch in one transaction (``yujing ingest``, the transcript inbox): one
commit per batch instead of one per post, and the answers hold only once it is committed.

The copy index is rebuilt from the store when an ``Intake`` starts (the last
``copies.CAPACITY`` posts) and then follows it: posts another process committed (``yujing
ingest`` beside the daemon) are read in before each decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from yujing.detector.copies import Entry
from yujing.detector.identity import Identity, richness
from yujing.detector.understand import Understander
from yujing.records import Post, ScoredPost
from yujing.store import Store

__all__ = ["Intake"]


class Intake:
    def __init__(self, understander: Understander, store: Store, identity: Identity | None = None):
        self.understander = understander
        self.store = store
        # An identity handed over (a config reload) keeps its index; it still reads what was
        # committed since.
        self.identity = identity or Identity()
        self.accepted = 0  # new posts committed
        self.known = 0  # ids seen before
        self.linked = 0  # the same post through another channel
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

    def accept_many(self, batch: Sequence[Post]) -> list[bool]:
        """``accept`` for each post, all committed in one transaction before this returns.

        On failure nothing of the batch is stored, and the copy index, which may have learned
        posts of it, is rebuilt from the store, so no post is ever linked to one that was
        never committed.
        """
        counts = (self.accepted, self.known, self.linked)
        try:
            with self.store.transaction():
                return [self._accept(post) for post in batch]
        except BaseException:
            self.accepted, self.known, self.linked = counts
            self.identity = Identity()
            self.catch_up()
            raise

    def _accept(self, post: Post) -> bool:
        posts = self.store.posts
        if posts.has(post.id):
            self.known += 1
            return False
        scored = self.understander.understand(post)
        self.catch_up()
        verdict = self.identity.classify(scored)
        if verdict.same_as is not None and self._link(scored, verdict.same_as):
            return False
        scored = replace(scored, text_id=verdict.text_id)
        rowid = posts.accept(scored)
        if rowid is None:  # another process stored the same id meanwhile
            self.known += 1
            return False
        self.identity.remember(scored, verdict.sketch)
        if rowid == self.identity.cursor + 1:
            self.identity.cursor = rowid  # nobody else wrote in between: nothing to read back
        self.accepted += 1
        return True

    def _link(self, scored: ScoredPost, entry: Entry) -> bool:
        """Link ``scored`` to the stored post it is; False if that post cannot be found."""
        posts, stored_id = self.store.posts, entry.post_id
        doc = posts.get(stored_id)
        if doc is None:
            return False  # not in this store (another file?): better kept than lost
        stored = ScoredPost.from_dict(doc)
        if richness(scored.post) > richness(stored.post):
            # The richer record under the stored id, in the stored copy group, published when
            # it was first seen.
            first = min(stored.post.published_at, scored.post.published_at)
            richer = replace(
                scored,
                post=replace(scored.post, id=stored.post.id, published_at=first),
                text_id=stored.text_key,
            )
            posts.replace(richer, alias=scored.post)
        else:
            posts.link(scored.post, stored_id)
        self.identity.linked(entry, scored.post)
        self.linked += 1
        return True
