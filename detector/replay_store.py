"""``yujing replay --store``: what a changed config would have raised on the stored history.

An admin tunes thresholds on the last month before changing production (as ElastAlert's
test-rule does, but on the real history): the posts the store holds, published since ``since``,
are understood again under the NEW config (its products, categories and redaction) and replayed
through the same detector and lifecycle as ``--posts``. The store is only read; alerts, outbox and
detector state are left as they are, so this is safe beside a running daemon.

The posts come as the daemon took them: in the order they were fetched, each counted once it
was fetched, so replay and the running daemon agree on the same store. A post that arrived after its
window (a late export, times read in the wrong zone) is learned as history here as it was there,
and the detector says so. ``as_published`` replays each post as if it had arrived when it was
published instead: what the config would raise on a store fed on time (history ingested in bulk,
say). Every stored post counts, as it did for the daemon: the store holds each post once already,
its other channels linked to it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from yujing.config import Config
from yujing.records import Post, ScoredPost, utcnow
from yujing.store import Store

from .understand import understander_for

__all__ = ["replay_store"]


def replay_store(
    config: Config,
    path: Path,
    since: float | None,
    emit: Callable[[dict[str, Any]], None],
    *,
    now: datetime | None = None,
    as_published: bool = False,
) -> tuple[int, int]:
    """Replay the posts published in the last ``since`` seconds (all, when None).

    Returns (posts replayed, alert events emitted).
    """
    from .replay import PostReplay

    cutoff = (now or utcnow()) - timedelta(seconds=since) if since else None
    store = Store(path, readonly=True)  # not even a schema upgrade: production's to make
    replay = PostReplay(config, emit)
    posts = 0
    try:
        for arrived, scored in _stored(config, store, path, cutoff, as_published):
            replay.feed(arrived, scored)
            posts += 1
        events = replay.finish() if posts else 0
    finally:
        store.close()
    return posts, events


def _stored(
    config: Config, store: Store, path: Path, cutoff: datetime | None, as_published: bool
) -> Iterator[tuple[float, ScoredPost]]:
    """(when the post arrived, the post understood under ``config``), in arrival order."""
    understander = understander_for(config)
    if as_published:
        docs = store.posts.published_since(cutoff)
    else:
        docs = store.posts.fetched_since(cutoff)
    clock = 0.0
    for doc in docs:
        try:
            scored = understander.understand(Post.from_dict(doc))
        except (KeyError, TypeError, ValueError) as exc:
            print(f"{path}: skipped stored post {doc.get('id')}: {exc}", file=sys.stderr)
            continue
        post = scored.post
        arrived = post.published_at if as_published else post.fetched_at
        # A clock set back on one fetch does not send the daemon's clock back.
        clock = max(clock, arrived.timestamp())
        yield clock, scored
