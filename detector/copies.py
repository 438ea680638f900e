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

The index holds one entry per distinct text (a copy group), not per post, and is bounded: it
forgets texts not seen for ``horizon`` (of the stream's own time, so replaying history behaves
like the daemon) and keeps at most ``capacity`` of them, least recently seen first out. Each
remembered text costs about 4 KB (the LSH tables take most of it), and the library with the parts
of scipy it loads about 27 MB once.
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
CAPACITY = 20_000  # distinct texts remembered at most, about 80 MB

# Permutations are drawn once and shared: drawing them per sketch would cost more than the
# sketch itself. "affine32" is datasketch's default scheme since 2.0, named so the sketches
# never silently change with the library's default.
_SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=_SCHEME).permutations
_MIX = np.uint32(0x9E3779B1)  # an odd constant: a bigram's two code points as one 32-bit value


def _as_is(value: int) -> int:
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
    # its own shingle. A set: repeated phrases add nothing to it, only work. The MinHash mixes
    # these values before permuting them.
    grams = points if len(points) == 1 else np.unique(points[:-1] * _MIX ^ points[1:])
    m = MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        hashfunc=_as_is,  # the bigram values are the hashes; the MinHash mixes them
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
    """One remembered text (a copy group), held by the post that brought it: enough to say
    whether a new post copies the text or is that very post."""

    text_id: str  # the copy group
    post_id: str  # the stored post whose text, source and author this is
    # Tuples, not sets: one or two items each, and a set costs four times the memory.
    sources: tuple[str, ...]  # sources that post was seen from (more than one once linked)
    channels: tuple[str, ...]  # "web", "hotline": whose author namespaces it was seen in
    author: str | None  # salted hash
    published: float  # timestamp of that post
    seen: float  # timestamp of the group's latest post: an active campaign stays remembered
    sketch: Sketch


class CopyIndex:
    """Recent texts by similarity: ``near(sketch, published)`` finds the texts a post copies.

    One entry per copy group, not per post: a copy joins its group (``touch``) instead of
    adding to the index, so a campaign of thousands of copies costs one entry, and a lookup
    compares a new post with distinct texts only.
    """

    def __init__(self, horizon: float = HORIZON, capacity: int = CAPACITY, threshold: float = COPY):
        self.horizon = horizon
        self.capacity = capacity
        self.threshold = threshold
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=BANDS)
        # Least recently seen group first: what the horizon and the capacity evict.
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._latest = -math.inf

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, text_id: str) -> bool:
        return text_id in self._entries

    def get(self, text_id: str) -> Entry | None:
        return self._entries.get(text_id)

    def add(self, entry: Entry) -> None:
        """Remember a new text (a group ``touch`` when it is known already)."""
        if entry.text_id in self._entries:
            self.touch(entry.text_id, entry.seen)
            return
        self._entries[entry.text_id] = entry
        if entry.sketch.minhash is not None:
            self._lsh.insert(entry.text_id, entry.sketch.minhash, check_duplication=False)
        self._latest = max(self._latest, entry.seen)
        self._evict()

    def touch(self, text_id: str, published: float) -> None:
        """A post of the group ``text_id`` was seen at ``published``."""
        entry = self._entries.get(text_id)
        if entry is None:
            return
        entry.seen = max(entry.seen, published)
        self._entries.move_to_end(text_id)
        self._latest = max(self._latest, published)
        self._evict()

    def near(self, sk: Sketch, published: float) -> list[tuple[Entry, float]]:
        """Remembered texts that ``sk`` copies, most similar first (then oldest first)."""
        if sk.minhash is None:
            return []
        entries = [self._entries[key] for key in self._lsh.query(sk.minhash)]
        if not entries:
            return []
        # The MinHash estimate (what MinHash.jaccard computes) for all candidates at once: LSH
        # candidates of boilerplate-heavy text can be dozens, one call each would dominate.
        values = np.stack([e.sketch.minhash.hashvalues for e in entries])  # type: ignore[union-attr]
        sims = np.count_nonzero(values == sk.minhash.hashvalues, axis=1) / NUM_PERM
        found = []
        for i in np.flatnonzero(sims >= self.threshold).tolist():
            entry, sim = entries[i], float(sims[i])
            # A group quiet for longer than the horizon is forgotten, early or late.
            if not entry.published - self.horizon <= published <= entry.seen + self.horizon:
                continue
            if min(sk.length, entry.sketch.length) < SHORT:
                sim = similarity(sk, entry.sketch)  # short texts: identical or not at all
            if sim >= self.threshold:
                found.append((entry, sim))
        found.sort(key=lambda es: (-es[1], es[0].published))
        return found

    def _evict(self) -> None:
        # Groups are ordered by when they were last seen, and posts arrive about in time order;
        # a late old post lingers until the capacity pushes it out, which the bound still limits.
        oldest = self._latest - self.horizon
        while self._entries:
            first = next(iter(self._entries.values()))
            if len(self._entries) <= self.capacity and first.seen >= oldest:
                break
            del self._entries[first.text_id]
            if first.sketch.minhash is not None:
                self._lsh.remove(first.text_id)
