"""``yujing replay --store``: what a changed config would have raised on the stored history.

An admin tunes thresholds on the last month before changing production (as ElastAlert's
test-rule does, but on the real history): the posts the store holds, published since ``since``,
are understood again under the NEW config (its products, categories and redaction) and replayed
through the same detector and lifecycle as ``--posts``. The store is only read; alerts, outbox and
detector state are left as they are, so this is safe beside a running daemon.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from yujing.config import Config
from yujing.records import Post, utcnow
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
) -> tuple[int, int]:
    """Replay the posts published in the last ``since`` seconds (all, when None).

    Returns (posts replayed, alert events emitted).
    """
    from .replay import replay_posts

    cutoff = (now or utcnow()) - timedelta(seconds=since) if since else None
    understander = understander_for(config)
    store = Store(path, readonly=True)  # not even a schema upgrade: production's to make
    posts = 0
    try:
        # Through a file: replay_posts reads one post per line in publication order, as it does
        # for --posts, so both paths share every rule of identity, ticking and draining.
        with tempfile.TemporaryDirectory(prefix="yujing-replay-") as tmp:
            lines = Path(tmp) / "posts.jsonl"
            with lines.open("w", encoding="utf-8") as fh:
                for doc in store.posts.published_since(cutoff):
                    try:
                        scored = understander.understand(Post.from_dict(doc))
                    except (KeyError, TypeError, ValueError) as exc:
                        print(
                            f"{path}: skipped stored post {doc.get('id')}: {exc}", file=sys.stderr
                        )
                        continue
                    fh.write(json.dumps(scored.to_dict(), ensure_ascii=False) + "\n")
                    posts += 1
            events = replay_posts(config, lines, emit) if posts else 0
    finally:
        store.close()
    return posts, events
