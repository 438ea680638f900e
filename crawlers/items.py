"""What a spider hands to the pipeline: raw strings as the page shows them.

Spiders only extract; turning "阅读 1.2万" into 12000 or "昨天 10:00" into UTC happens once, in
``crawlers.pipelines``, so every spider gets the same parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["PostItem"]

RawCount = str | int | None


@dataclass
class PostItem:
    source: str  # name of the configured source
    url: str
    text: str
    title: str = ""
    native_id: str | None = None  # the site's own id (guid); the url is used when missing
    # The raw name: hashed by the pipeline, never stored, and kept out of repr() so Scrapy's
    # log lines about dropped or failed items do not print it.
    author: str | None = field(default=None, repr=False)
    published: str | datetime | None = None
    views: RawCount = None
    comments: RawCount = None
    reposts: RawCount = None
    likes: RawCount = None
    extras: dict[str, Any] = field(default_factory=dict)
