"""Near-duplicate texts: MinHash sketches of character bigrams in a bounded MinHash LSH index.

A copy-paste campaign posts one text from many accounts, each copy touched a little (other
punctuation, an emoji, a changed word). Comparing exact text keys misses those, and comparing
every new post with every recent one is too slow, so each text is sketched once (datasketch
``MinHash``) and looked up in a locality-sensitive index (``MinHashLSH``) that returns only the
recent texts likely to be similar; their estimated Jaccard similarity then decides.

Why character bigrams: Chinese has no spaces to split words on, and bigrams are the shortest
shingles that keep word order. One changed character costs at most two of a text's bigrams, so
three changes in a 60-character complaint keep it above 0.8, while two different complaints
that share a product name and the usual words ("理赔", "客服", "怎么办") stay near 0.2-0.3.

The index is bounded: it forgets texts older than ``horizon`` (of the stream's own time, so
replaying history behaves like the daemon) and keeps at most ``capacity`` of them, oldest
first out. Each remembered text costs about 3.5 KB (the LSH tables take most of it).
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from .normalize import skeleton

__all__ = [
    "COPY",
    "Entry",
    "CopyIndex",
    "Sketch",
    "sketch",
    "similarity",
    "HORIZON",
    "CAPACITY",
    "SHORT",
]

NUM_PERM = 64  # estimate error about 0.06 at the threshold: enough to tell copies from others
# 12 bands of 5 rows (60 of the 64 values): a text at similarity 0.65 is a candidate with
# chance 0.77, at 0.8 with 0.99, at 0.3 with 0.03; candidates are then checked one by one.
# A campaign is found through any of its earlier copies, so its recall is higher still.
BANDS = (12, 5)
SEED = 1
COPY = 0.65  # estimated Jaccard similarity of bigram sets from which a text is a copy
SHORT = 10  # below this many letters and digits only the identical text is the same text
HORIZON = 30 * 86400.0  # seconds: copies are looked for among the last 30 days' texts
CAPACITY = 20_000  # texts remembered at most, about 70 MB

# Permutations are drawn once and shared: drawing them per sketch would cost more than the
# sketch itself. "affine32" is datasketch's default scheme since 2.0, named so the sketches
# never silently change with the library's default.
_SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=_SCHEME).permutations
_MIX = np.uint32(0x9E3779B1)  # an odd constant: a bigram's two code points as one 32-bit value


def _identity(value: int) -> int:
    return value


@dataclass(frozen=True, slots=True)
class Sketch:
    """What copy detection keeps of a text: its MinHash, its length and an exact digest."""

    minhash: LeanMinHash | None  # None: no letters or digits to compare (an emoji-only post)
    length: int  # letters and digits
    exact: bytes  # digest of the letters and digits: short texts match only when identical


def sketch(text: str) -> Sketch:
    """The sketch of normalised ``text`` (``normalize``): its bigrams' MinHash."""
    skel = skeleton(text)
    exact = hashlib.blake2b(skel.encode(), digest_size=8).digest()
    if not skel:
        return Sketch(None, 0, exact)
    points = np.frombuffer(skel.encode("utf-32-le"), dtype=np.uint32)
    # Each bigram as one integer, computed for the whole text at once; a single character is
    # its own shingle. The MinHash mixes these values before permuting them.
    grams = points if len(points) == 1 else points[:-1] * _MIX ^ points[1:]
    m = MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        hashfunc=_identity,
        permutations=_PERMUTATIONS,
        scheme=_SCHEME,
    )
    m.update_batch(grams.tolist())
    return Sketch(LeanMinHash(m), len(skel), exact)


def similarity(a: Sketch, b: Sketch) -> float:
    """Estimated Jaccard similarity of two texts' bigram sets, 0..1."""
    if a.minhash is None or b.minhash is None:
        return 0.0  # nothing but emoji and punctuation: nothing to call a copy
    if min(a.length, b.length) < SHORT:
        # "理赔慢123" and "理赔慢124" share most of their few bigrams but are not one text.
        return 1.0 if a.exact == b.exact else 0.0
    return a.minhash.jaccard(b.minhash)


@dataclass(slots=True)
class Entry:
    """One remembered post: enough to say whether a new one copies it or is it."""

    post_id: str
    text_id: str  # its copy group
    sources: frozenset[str]  # sources it was seen from (more than one once linked)
    channels: frozenset[str]  # "web", "hotline": whose author namespaces it was seen in
    author: str | None  # salted hash
    published: float  # timestamp
    sketch: Sketch


class CopyIndex:
    """Recent texts by similarity: ``near(sketch, published)`` finds the copies of a text."""

    def __init__(self, horizon: float = HORIZON, capacity: int = CAPACITY, threshold: float = COPY):
        self.horizon = horizon
        self.capacity = capacity
        self.threshold = threshold
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=BANDS)
        self._entries: OrderedDict[str, Entry] = OrderedDict()  # oldest remembered first
        self._latest = -math.inf

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, post_id: str) -> bool:
        return post_id in self._entries

    def get(self, post_id: str) -> Entry | None:
        return self._entries.get(post_id)

    def add(self, entry: Entry) -> None:
        """Remember a post (again: its details are replaced, its sketch is kept)."""
        known = self._entries.get(entry.post_id)
        if known is not None:
            entry.sketch = known.sketch
            self._entries[entry.post_id] = entry
            return
        self._entries[entry.post_id] = entry
        if entry.sketch.minhash is not None:
            self._lsh.insert(entry.post_id, entry.sketch.minhash, check_duplication=False)
        self._latest = max(self._latest, entry.published)
        self._evict()

    def near(self, sk: Sketch, published: float) -> list[tuple[Entry, float]]:
        """Remembered posts whose text ``sk`` copies, most similar first (then oldest first)."""
        if sk.minhash is None:
            return []
        found = []
        for key in self._lsh.query(sk.minhash):
            entry = self._entries[key]
            if abs(published - entry.published) > self.horizon:
                continue
            sim = similarity(sk, entry.sketch)
            if sim >= self.threshold:
                found.append((entry, sim))
        found.sort(key=lambda es: (-es[1], es[0].published))
        return found

    def _evict(self) -> None:
        # Insertion order is close to time order (posts arrive as they are published); a late
        # old post lingers until the capacity pushes it out, which the bound still limits.
        oldest = self._latest - self.horizon
        while self._entries:
            first = next(iter(self._entries.values()))
            if len(self._entries) <= self.capacity and first.published >= oldest:
                break
            del self._entries[first.post_id]
            if first.sketch.minhash is not None:
                self._lsh.remove(first.post_id)
