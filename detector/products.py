"""Which configured products a text names."""

from __future__ import annotations

import re
from collections.abc import Iterable

from yujing.config import Product

from .normalize import normalize

__all__ = ["ProductTagger"]


def _fold(text: str) -> str:
    # casefold makes Latin letters case-insensitive and leaves Chinese untouched.
    return normalize(text).casefold()


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _pattern(term: str) -> str:
    # A term that begins or ends with a Latin letter or digit must not be glued to another
    # one, so the alias "ax" does not fire inside "maximum". Chinese has no word boundaries.
    head = r"(?<![a-z0-9])" if _is_word_char(term[0]) else ""
    tail = r"(?![a-z0-9])" if _is_word_char(term[-1]) else ""
    return head + re.escape(term) + tail


class ProductTagger:
    """Finds product names and aliases in a text; the longest overlapping match wins.

    One compiled regex alternation, longest terms first, inside a lookahead: at every position
    it yields the longest term starting there, overlaps included. Overlapping candidates are
    then settled longest first, so "安心e生医疗险" is one product even when "安心e生" or
    "e生医疗险" is an alias of another. A term shared by several products names all of them.
    """

    def __init__(self, products: Iterable[Product]):
        self._owners: dict[str, list[str]] = {}
        for product in products:
            for term in product.terms():
                folded = _fold(term)
                if not folded:
                    continue
                owners = self._owners.setdefault(folded, [])
                if product.id not in owners:
                    owners.append(product.id)
        terms = sorted(self._owners, key=lambda t: (-len(t), t))
        self._regex = (
            re.compile("(?=(" + "|".join(_pattern(t) for t in terms) + "))") if terms else None
        )

    def tag(self, text: str) -> tuple[str, ...]:
        """Product ids named in ``text``, in order of first appearance."""
        if self._regex is None:
            return ()
        folded = _fold(text)
        candidates = [(m.start(), m.group(1)) for m in self._regex.finditer(folded)]
        taken = bytearray(len(folded))
        kept: list[tuple[int, str]] = []
        for start, term in sorted(candidates, key=lambda c: (-len(c[1]), c[0])):
            end = start + len(term)
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * len(term)
            kept.append((start, term))
        found: dict[str, None] = {}
        for _, term in sorted(kept):
            for owner in self._owners[term]:
                found.setdefault(owner, None)
        return tuple(found)
