"""Near-duplicate texts: MinHash sketches of character bigrams in a bounded MinHash LSH index.

A copy-paste campaign posts one text from many accounts, each copy touched a little (other
punctuation, an emoji, a changed word). Comparing exact text keys misses those, and comparing
every new post with every recent one is too slow, so each text is sketched once (a MinHash) and
looked up in a locality-sensitive index (LSH: bands of the MinHash values as keys) that returns
only the recent texts likely to be similar; their estimated Jaccard similarity then decides.

Why character bigrams: Chinese has no spaces to split words on, and bigrams are the shortest
shingles that keep word order. One changed character costs at most two of a text's bigrams, so
three changes in a 60-character complaint keep it above 0.8, while two different complaints
that share a product name and the usual words ("理赔", "客服", "怎么办") stay near 0.2-0.3.

The sketches are datasketch's ("affine32": each value mixed by the MurmurHash3 finalizer, then
``a * h + b mod 2**32`` with the library's permutations drawn once), computed here with numpy in a
few array operations per text, and the index is datasketch's ``MinHashLSH`` banding (12 bands of
5 values) kept in plain dicts: the library's objects cost more per post than the arithmetic did,
and copy detection runs for every post ``ingest`` takes. A test holds both to the library. A
band is keyed by one 64-bit integer made of its five values, computed for a whole batch at once;
two bands that differ yet share a key (about one pair in 2**64) only add a candidate, which the
similarity check then judges like any other.

The index holds one entry per distinct text (a copy group), not per post, and is bounded: it
forgets texts not seen for ``horizon`` (of the stream's own time, so replaying history behaves
like the daemon) and keeps at most ``capacity`` of them, least recently seen first out. Each
remembered text costs about 3 KB (the band keys and their buckets take most of it).
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from .normalize import skeleton

__all__ = [
    "COPY",
    "Entry",
    "CopyIndex",
    "Sketch",
    "sketch",
    "sketch_skeleton",
    "sketch_skeletons",
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
CAPACITY = 20_000  # distinct texts remembered at most, about 60 MB

# Permutations are drawn once and shared, by the library, so the sketches are its own.
# "affine32" is datasketch's default scheme since 2.0, named so they never silently change
# with the library's default.
_SCHEME = "affine32"
_A, _B = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=_SCHEME).permutations
_MIX = np.uint32(0x9E3779B1)  # an odd constant: a bigram's two code points as one 32-bit value
# MurmurHash3's 32-bit finalizer (datasketch's pre-mix for "affine32").
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
# Bigrams permuted in one array (by 64 values: 1 MB, which stays in the processor's cache); a
# longer text is still done whole.
_GRAMS_AT_ONCE = 1 << 12
# A band's five values folded into one 64-bit key, h * _FOLD + value at each step (uint64
# arithmetic wraps): an odd multiplier, so no step throws away what the earlier values made.
_FOLD = np.uint64(0x9E3779B97F4A7C15)
_BANDED = BANDS[0] * BANDS[1]


@dataclass(frozen=True, slots=True)
class Sketch:
    """What copy detection keeps of a text: its MinHash, its length and an exact digest."""

    minhash: np.ndarray | None  # NUM_PERM uint32; None: no letters or digits (an emoji-only post)
    length: int  # letters and digits
    exact: bytes  # digest of the letters and digits: short texts match only when identical
    bands: tuple[int, ...] = ()  # the LSH index's key of each band (none without a minhash)


def sketch(text: str) -> Sketch:
    """The sketch of normalised ``text`` (``normalize``): its bigrams' MinHash."""
    return sketch_skeleton(skeleton(text))


def sketch_skeleton(skel: str) -> Sketch:
    """``sketch`` of a text whose ``skeleton`` is ``skel``, for a caller that has it already."""
    return sketch_skeletons([skel])[0]


def sketch_skeletons(skels: Sequence[str]) -> list[Sketch]:
    """``sketch_skeleton`` of each, computed for many texts at once (a batch of posts): numpy
    works over all their bigrams in a few calls instead of a dozen calls per text."""
    sketches: list[Sketch] = []
    start = grams = 0
    for end, skel in enumerate(skels):
        if grams and grams + len(skel) > _GRAMS_AT_ONCE:
            sketches += _sketch_together(skels[start:end])
            start, grams = end, 0
        grams += len(skel)
    return sketches + _sketch_together(skels[start:])


def _sketch_together(skels: Sequence[str]) -> list[Sketch]:
    exact = [hashlib.blake2b(skel.encode(), digest_size=8).digest() for skel in skels]
    lengths = np.fromiter(map(len, skels), dtype=np.intp, count=len(skels))
    points = np.frombuffer("".join(skels).encode("utf-32-le"), dtype=np.uint32)
    # Each bigram as one integer, computed for all the texts at once. A text's last position
    # would pair it with the next text: no bigram, dropped, but for a one-character text,
    # whose character is its own shingle. Repeated bigrams stay in: a minimum does not change
    # for a value seen twice, and dropping them (a sort) costs more than the extra products.
    shingles = np.empty_like(points)
    shingles[:-1] = points[:-1] * _MIX ^ points[1:]
    ends = np.cumsum(lengths)
    keep = np.ones(len(points), dtype=bool)
    keep[ends[lengths > 0] - 1] = False
    single = ends[lengths == 1] - 1
    shingles[single] = points[single]
    keep[single] = True
    counts = np.where(lengths > 1, lengths - 1, lengths)
    # What datasketch's MinHash.update_batch computes for "affine32" with the values as their
    # own hashes: mixed, then permuted (uint32 products wrap, which is the mod 2**32), then
    # the least value of each permutation, per text.
    h = shingles[keep]
    s1, m1, s2, m2 = _FMIX
    h ^= h >> s1
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s1
    firsts = (np.cumsum(counts) - counts)[counts > 0]
    if len(h):
        permuted = np.multiply.outer(h, _A)
        permuted += _B
        values = np.minimum.reduceat(permuted, firsts, axis=0)
    else:
        values = np.empty((0, NUM_PERM), dtype=np.uint32)
    rows, bands = iter(values), iter(_band_keys(values))
    return [
        # Copied out: a row kept by the index must not hold the whole batch's array alive.
        Sketch(next(rows).copy(), length, digest, next(bands))
        if length
        else Sketch(None, 0, digest)
        for length, digest in zip(lengths.tolist(), exact, strict=True)
    ]


def _band_keys(values: np.ndarray) -> list[tuple[int, ...]]:
    """Each row's band keys (``_FOLD``): one list of Python integers for the whole batch, the
    keys of its hash tables, which hash and compare faster than the bands' bytes would."""
    banded = values[:, :_BANDED].reshape(len(values), BANDS[0], BANDS[1]).astype(np.uint64)
    keys = banded[:, :, 0].copy()
    for i in range(1, BANDS[1]):
        keys *= _FOLD
        keys += banded[:, :, i]
    return [tuple(row) for row in keys.tolist()]


def similarity(a: Sketch, b: Sketch) -> float:
    """Estimated Jaccard similarity of two texts' bigram sets, 0..1."""
    if a.minhash is None or b.minhash is None:
        return 0.0  # nothing but emoji and punctuation: nothing to call a copy
    if min(a.length, b.length) < SHORT:
        # "理赔慢123" and "理赔慢124" share most of their few bigrams but are not one text.
        return 1.0 if a.exact == b.exact else 0.0
    return np.count_nonzero(a.minhash == b.minhash) / NUM_PERM


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
        # Least recently seen group first: what the horizon and the capacity evict.
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._latest = -math.inf
        # The sketches of the texts that have one, a row each, so the candidates of a lookup
        # are compared in one array operation; a row freed by an evicted text is reused.
        self._values = np.empty((0, NUM_PERM), dtype=np.uint32)
        self._rows: list[Entry | None] = []
        self._row_of: dict[str, int] = {}
        self._free: list[int] = []
        # MinHashLSH's hash tables: per band, a band's key -> the rows that have it (lists:
        # nearly every bucket holds one text, and a list is the smallest container).
        self._tables: list[dict[int, list[int]]] = [{} for _ in range(BANDS[0])]

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
            self._list(entry)
        self._latest = max(self._latest, entry.seen)
        self._evict()

    def resketch(self, text_id: str, sk: Sketch) -> None:
        """The group ``text_id`` is now held by a fuller text of its post (``sk``)."""
        entry = self._entries.get(text_id)
        if entry is None:
            return
        if entry.sketch.minhash is not None:
            self._unlist(entry)
        entry.sketch = sk
        if sk.minhash is not None:
            self._list(entry)

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
        # The rows sharing at least one band with it: the LSH candidates.
        candidates: set[int] = set()
        for table, key in zip(self._tables, sk.bands, strict=True):
            bucket = table.get(key)
            if bucket is not None:
                candidates.update(bucket)
        if not candidates:
            return []
        rows = list(candidates)
        # The MinHash estimate (what MinHash.jaccard computes) for all candidates at once: LSH
        # candidates of boilerplate-heavy text can be dozens, one call each would dominate.
        sims = np.count_nonzero(self._values[rows] == sk.minhash, axis=1) / NUM_PERM
        found = []
        for i in np.flatnonzero(sims >= self.threshold).tolist():
            entry, sim = self._rows[rows[i]], float(sims[i])
            assert entry is not None  # a listed row holds its entry
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
                self._unlist(first)

    def _list(self, entry: Entry) -> None:
        sk = entry.sketch
        if self._free:
            row = self._free.pop()
            self._rows[row] = entry
        else:
            row = len(self._rows)
            self._rows.append(entry)
            if row == len(self._values):  # grown by half, up to what the capacity needs
                size = min(max(1024, row + row // 2), max(self.capacity + 1, row + 1))
                grown = np.empty((size, NUM_PERM), dtype=np.uint32)
                grown[:row] = self._values
                self._values = grown
        self._values[row] = sk.minhash
        self._row_of[entry.text_id] = row
        for table, key in zip(self._tables, sk.bands, strict=True):
            bucket = table.get(key)
            if bucket is None:
                table[key] = [row]
            else:
                bucket.append(row)

    def _unlist(self, entry: Entry) -> None:
        row = self._row_of.pop(entry.text_id)
        self._rows[row] = None
        self._free.append(row)
        for table, key in zip(self._tables, entry.sketch.bands, strict=True):
            bucket = table[key]
            if len(bucket) == 1:
                del table[key]
            else:
                bucket.remove(row)
