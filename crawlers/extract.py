"""Selector helpers for config-driven spiders.

Configs give one string per field. XPath when it starts with ``/`` or ``(`` (as documented on
``yujing.config.ListSelectors``), CSS otherwise, where ``::text`` and ``::attr(x)`` work as usual.
A selector may land on elements or on strings; both come back as clean text.
"""

from __future__ import annotations

import re

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

__all__ = ["select", "extract_text", "normalise"]

# Elements whose edges are line breaks on screen; without this "<p>a</p><p>b</p>" reads "ab".
_BLOCK = frozenset(
    {
        "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table",
        "td", "th", "tr", "ul",
    }
)  # fmt: skip
_SKIP = frozenset({"script", "style", "noscript", "template"})
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but newlines, including U+3000 and nbsp


def select(response: TextResponse | Selector, query: str) -> SelectorList[Selector]:
    q = query.strip()
    # "./" is XPath relative to a list entry (``list.item``); no CSS selector starts so.
    return response.xpath(q) if q.startswith(("/", "(", "./")) else response.css(q)


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


def normalise(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _node_text(sel: Selector) -> str:
    root = sel.root
    if isinstance(root, str):  # ::text, ::attr(), text() or @attr results
        return root
    parts: list[str] = []
    _walk(root, parts)
    return "".join(parts)


def _walk(node: object, parts: list[str]) -> None:
    tag = getattr(node, "tag", None)
    name = tag.lower() if isinstance(tag, str) else ""  # comments and PIs have a callable tag
    if name in _SKIP or not isinstance(tag, str):
        return
    block = name in _BLOCK
    if block:
        parts.append("\n")
    if node.text:  # type: ignore[attr-defined]
        parts.append(node.text)  # type: ignore[attr-defined]
    for child in node:  # type: ignore[attr-defined]
        _walk(child, parts)
        if child.tail:  # the tail belongs to this node's text, even after a skipped child
            parts.append(child.tail)
    if block:
        parts.append("\n")
