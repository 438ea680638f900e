"""An event's label: the few words that set it apart from the product's other events.

Class-based TF-IDF (c-TF-IDF, as topic models label their topics): a word weighs by how many of
the event's posts use it, times how rare it is across all the product's events, so 理赔 (said in
every event) gives way to 甲状腺结节 (said in one). A word inside a phrase already chosen (结节 in
甲状腺结节) or a phrase holding a word already chosen adds nothing and is skipped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from .cluster import Event

__all__ = ["label_words"]

MIN_SHARE = 0.1  # a word used by fewer of the event's posts than this does not name it


def label_words(event: Event, events: Iterable[Event], n: int = 4) -> list[str]:
    """The ``n`` words that best name ``event`` among ``events`` (the product's, it included)."""
    events = list(events)
    total: Counter[str] = Counter()
    sizes = []
    for e in events:
        total.update(e.words)
        sizes.append(sum(e.words.values()))
    if event.id not in {e.id for e in events}:
        total.update(event.words)
        sizes.append(sum(event.words.values()))
    average = sum(sizes) / max(1, len(sizes))
    floor = MIN_SHARE * event.posts
    scored = sorted(
        (
            (count * math.log(1.0 + average / total[w]), w)
            for w, count in event.words.items()
            if count >= floor
        ),
        key=lambda s: (-s[0], -len(s[1]), s[1]),
    )
    chosen: list[str] = []
    for _, word in scored:
        if any(word in c or c in word for c in chosen):
            continue
        chosen.append(word)
        if len(chosen) == n:
            break
    return chosen
