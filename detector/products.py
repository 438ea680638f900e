"""Which configured products a text names."""

from __future__ import annotations

from collections.abc import Iterable

from yujing.config import Product

from .terms import TermMatcher, fold, fold_normalized
from .words import WordCheck

__all__ = ["ProductTagger"]

# The payload of a company name in the matcher: it names no product, it only takes its span.
_COMPANY = ""


class ProductTagger:
    """Finds product names, aliases and abbreviations in a text; the longest match wins.

    Overlapping candidates are settled longest first, so "安心e生医疗险" is one product even
    when "安心e生" or "e生医疗险" is an alias of another. A post may name several products.

    Company names take part in the matching but tag nothing: a company sells many products,
    and its name must not let a product alias inside it ("长宁" in "长宁人寿") fire. Naming a
    company does one thing: a term shared by products of different companies names only those
    whose company the text also names; without that hint it names all of them.

    A name counts only where it stands as a word (``words.WordCheck``): "乐驾" names the product
    in "乐驾理赔太慢", not in "快乐驾驶", where the words are 快乐 and 驾驶.
    """

    def __init__(self, products: Iterable[Product]):
        entries: list[tuple[str, str]] = []
        self._company_of: dict[str, str] = {}
        companies: set[str] = set()
        for product in products:
            entries.extend((term, product.id) for term in product.terms())
            if product.company and fold(product.company):
                self._company_of[product.id] = fold(product.company)
                companies.add(product.company)
        # Listed after the products, so a term that is both a product and a company names
        # the product first (the company payload only adds the hint).
        entries.extend((company, _COMPANY) for company in sorted(companies))
        self._matcher = TermMatcher(entries)
        self._words = WordCheck(fold(term) for term, _ in entries)

    def tag(self, text: str) -> tuple[str, ...]:
        """Product ids named in ``text``, in order of first appearance."""
        return self._tag(fold(text))

    def tag_normalized(self, text: str) -> tuple[str, ...]:
        """``tag`` for a text that has already been through ``normalize``."""
        return self._tag(fold_normalized(text))

    def _tag(self, folded: str) -> tuple[str, ...]:
        # A company name only takes its span (it tags nothing), so only names of products are
        # asked whether they stand as words.
        hits = [
            hit
            for hit in self._matcher.longest(folded)
            if hit.payloads == (_COMPANY,) or self._words.is_word(folded, hit.start, hit.end)
        ]
        if not hits:
            return ()
        named = {hit.term for hit in hits if _COMPANY in hit.payloads}
        found: dict[str, None] = {}
        for hit in hits:
            owners = [p for p in hit.payloads if p != _COMPANY]
            if len(owners) > 1 and named:
                hinted = [p for p in owners if self._company_of.get(p) in named]
                owners = hinted or owners
            for owner in owners:
                found.setdefault(owner, None)
        return tuple(found)
