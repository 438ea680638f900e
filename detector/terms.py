"""Multi-pattern term matching and negation cues shared by the product and category taggers.

Every tagger runs on every post, so terms are found in one pass of an Aho-Corasick
automaton (pyahocorasick, in C) whatever their number, instead of one regex per term.
Texts and terms are compared folded: normalised (NFKC, invisible characters dropped) and
casefolded, so full-width or upper-case Latin letters match too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Generic, NamedTuple, TypeVar

import ahocorasick

from .normalize import normalize

__all__ = ["Hit", "TermMatcher", "NegationCues", "fold", "fold_normalized"]

T = TypeVar("T")


def fold_normalized(text: str) -> str:
    """Fold a text that has already been through ``normalize``."""
    return text.casefold()


def fold(text: str) -> str:
    return normalize(text).casefold()


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Hit(NamedTuple, Generic[T]):
    start: int
    end: int
    term: str  # folded
    payloads: tuple[T, ...]  # what the term stands for: product ids, categories ...


class TermMatcher(Generic[T]):
    """Finds folded terms in a folded text. A term may carry several payloads (an alias shared
    by two products). A term that begins or ends with a Latin letter or digit must not be
    glued to another one, so the alias "ax" does not fire inside "maximum" and the hotline
    12378 not inside a longer number; Chinese has no word boundaries and needs none."""

    def __init__(self, terms: Iterable[tuple[str, T]]):
        owners: dict[str, list[T]] = {}
        for term, payload in terms:
            folded = fold(term)
            if not folded:
                continue
            bucket = owners.setdefault(folded, [])
            if payload not in bucket:
                bucket.append(payload)
        self._automaton: ahocorasick.Automaton | None = None
        if owners:
            automaton = ahocorasick.Automaton()
            for term, bucket in owners.items():
                edges = _is_word_char(term[0]) or _is_word_char(term[-1])
                automaton.add_word(term, (term, tuple(bucket), edges))
            automaton.make_automaton()
            self._automaton = automaton

    def all(self, text: str) -> list[Hit[T]]:
        """Every occurrence of every term in the folded ``text``, overlaps included."""
        if self._automaton is None or not text:
            return []
        return self._hits(self._automaton.iter(text), text)

    def leftmost_longest(self, text: str) -> list[Hit[T]]:
        """Non-overlapping hits in text order, each the longest term at the leftmost place
        still free. One pass in C: the cheapest way to settle overlaps."""
        if self._automaton is None or not text:
            return []
        return self._hits(self._automaton.iter_long(text), text)

    def longest(self, text: str) -> list[Hit[T]]:
        """Non-overlapping hits, in text order. At each position only the longest term starting
        there is a candidate; overlapping candidates are settled longest first, so a full
        product name beats the shorter alias inside it, wherever the two begin."""
        by_start: dict[int, Hit[T]] = {}
        for hit in self.all(text):
            best = by_start.get(hit.start)
            if best is None or hit.end > best.end:
                by_start[hit.start] = hit
        if len(by_start) <= 1:
            return list(by_start.values())
        taken = bytearray(len(text))
        kept: list[Hit[T]] = []
        for hit in sorted(by_start.values(), key=lambda h: (h.start - h.end, h.start)):
            if any(taken[hit.start : hit.end]):
                continue
            taken[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
            kept.append(hit)
        kept.sort()
        return kept

    @staticmethod
    def _hits(
        found: Iterable[tuple[int, tuple[str, tuple[T, ...], bool]]], text: str
    ) -> list[Hit[T]]:
        hits: list[Hit[T]] = []
        for last, (term, payloads, edges) in found:
            start = last - len(term) + 1
            if edges and _glued(text, start, last + 1):
                continue
            hits.append(Hit(start, last + 1, term, payloads))
        return hits


def _glued(text: str, start: int, end: int) -> bool:
    """A Latin or digit term touching another Latin letter or digit."""
    if _is_word_char(text[start]) and start > 0 and _is_word_char(text[start - 1]):
        return True
    return _is_word_char(text[end - 1]) and end < len(text) and _is_word_char(text[end])


class NegationCues:
    """Whether a hit is negated by the words right before it: a cue (没有, 不是 ...), then at
    most two filler words (被, 遇到 ...), then the hit. Only this tight form counts: Chinese
    negation reaches further only sometimes, and "没有理由拒赔" (refused without reason) or
    "没有通知就扣费" (deducted without notice) are complaints, not denials.

    ``unless`` lists longer phrases ending in a cue that are not denials: "有没有被拒赔的"
    asks who else was refused, "不得不报警" says the police were called.
    """

    def __init__(
        self, cues: Iterable[str], fillers: Iterable[str] = (), unless: Iterable[str] = ()
    ):
        cues, fillers, unless = tuple(cues), tuple(fillers), tuple(unless)
        fill = _alternation(fillers)
        fill = f"(?:{fill}){{0,2}}" if fill else ""
        cue, exempt = _alternation(cues), _alternation(unless)
        self._cue = re.compile(f"(?:{cue}){fill}\\Z") if cue else None
        self._unless = re.compile(f"(?:{exempt}){fill}\\Z") if exempt else None
        # Most hits follow a character that cannot end a cue: answered without a regex.
        self._enders = frozenset(w[-1] for w in (*cues, *fillers) if w)
        longest = max((len(t) for t in (*cues, *unless)), default=0)
        self._reach = longest + 2 * max((len(f) for f in fillers), default=0)

    def negates(self, text: str, start: int) -> bool:
        """True when the text just before ``start`` is a cue (with fillers)."""
        if start == 0 or self._cue is None or text[start - 1] not in self._enders:
            return False
        pos = max(0, start - self._reach)
        if self._cue.search(text, pos, start) is None:
            return False
        return self._unless is None or self._unless.search(text, pos, start) is None


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so a regex alternation prefers "从来没有" to "没有".
    return "|".join(re.escape(w) for w in sorted({w for w in words if w}, key=len, reverse=True))
