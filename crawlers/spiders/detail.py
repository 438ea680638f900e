"""A post's page read with a source's ``detail`` selectors: shared by forums and sitemaps."""

from __future__ import annotations

from scrapy.http import TextResponse

from yujing.config import DetailSelectors

from ..extract import extract_text
from ..items import PostItem

__all__ = ["detail_item"]


def detail_item(response: TextResponse, source: str, d: DetailSelectors) -> PostItem:
    return PostItem(
        source=source,
        url=response.url,
        native_id=response.url,
        title=extract_text(response, d.title) or "",
        text=extract_text(response, d.text, multiline=True) or "",
        author=extract_text(response, d.author),
        published=extract_text(response, d.published),
        views=extract_text(response, d.views),
        comments=extract_text(response, d.comments),
        reposts=extract_text(response, d.reposts),
    )
