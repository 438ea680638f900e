"""Selector helpers for config-driven spiders.

Configs give one string per field. XPath when it starts with ``/`` or ``(`` (as documented on
``yujing.config.ListSelectors``), CSS otherwise, where ``::text`` and ``::attr(x)`` work as usual.
A selector may land on elements or on strings; both come back as clean text.
"""

from __future__ import annotations

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from .htmltext import element_text, normalise

__all__ = ["select", "extract_text", "normalise"]


def select(response: TextResponse | Selector, query: str) -> SelectorList[Selector]:
    q = query.strip()
    return response.xpath(q) if q.startswith(("/", "(")) else response.css(q)


def extract_text(
    response: TextResponse | Selector, query: str | None, *, multiline: bool = False
) -> str | None:
    """All text the selector reaches, whitespace-normalised; None when it matches nothing.

    Single-line fields (title, author, time, counts) are flattened to one line; the body keeps its
    paragraph breaks, which the text analysis treats as sentence ends.
    """
    if not query:
        return None
    found = select(response, query)
    if not found:
        return None
    text = normalise("\n".join(_node_text(sel) for sel in found))
    return text if multiline else " ".join(text.split("\n"))


def _node_text(sel: Selector) -> str:
    root = sel.root
    if isinstance(root, str):  # ::text, ::attr(), text() or @attr results
        return root
    return element_text(root)
