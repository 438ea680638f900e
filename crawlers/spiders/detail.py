"""A post's page read with a source's ``detail`` selectors: shared by forums and sitemaps."""

from __future__ import annotations

from scrapy.http import TextResponse

from yujing.config import DetailSelectors
from yujing.patterns import compile_pattern

from ..extract import extract_text
from ..items import PostItem

__all__ = ["detail_item"]


def detail_item(response: TextResponse, source: str, d: DetailSelectors) -> PostItem:
    def field(name: str, multiline: bool = False) -> str | None:
        text = extract_text(response, getattr(d, name), multiline=multiline)
        pattern = d.re.get(name)
        if text is None or pattern is None:
            return text
        # "发表于 2026-11-24 09:30 | 阅读 1.2万": the part the regex picks, or nothing.
        m = compile_pattern(pattern).search(text)
        if m is None:
            return None
        return (m.group(1) if m.groups() else m.group(0)).strip()

    return PostItem(
        source=source,
        url=response.url,
        native_id=response.url,
        title=field("title") or "",
        text=field("text", multiline=True) or "",
        author=field("author"),
        published=field("published"),
        views=field("views"),
        comments=field("comments"),
        reposts=field("reposts"),
    )
