"""Turns what spiders extract into ``yujing.records.Post`` and hands it to the daemon.

All normalisation lives here (ids, hashed authors, UTC times, reach counts) so spiders stay
declarative. The sink is whatever the caller puts in ``YUJING_POST_SINK``: it takes the posts in
batches (``batches.PostBatches``), and an item is done once its batch is committed. Without a
sink the item is only passed on, which keeps ``scrapy crawl -o posts.jsonl`` useful for trying a
new source.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.misc import load_object

from yujing.records import Post, Reach, hash_author, post_id, utcnow

from .batches import PostBatches, PostsSink
from .counts import parse_count
from .items import PostItem
from .limits import bounded
from .timeparse import parse_published

__all__ = ["PostPipeline", "SinkRef", "to_post"]

logger = logging.getLogger(__name__)


class SinkRef:
    """Carries the sink through Scrapy's settings unchanged.

    ``Crawler`` deep-copies its settings; a bound method of the daemon's store would be copied
    along with the store (or fail to copy, holding an SQLite connection). This keeps one object.
    """

    def __init__(self, sink: PostsSink):
        self.sink = sink

    def __call__(self, posts: list[Post]) -> Sequence[bool] | Awaitable[Sequence[bool]]:
        return self.sink(posts)

    def __deepcopy__(self, memo: dict[int, Any]) -> SinkRef:
        return self

    def __repr__(self) -> str:
        return f"SinkRef({self.sink!r})"


def to_post(item: PostItem, *, salt: str, tz: ZoneInfo) -> Post:
    """The Post for ``item``; raises DropItem when there is nothing to analyse."""
    text = (item.text or "").strip()
    if not text:
        # Deleted threads and image-only posts look like this: expected, so INFO, not WARNING.
        raise DropItem(f"empty text: {item.url} from source {item.source!r}", log_level="INFO")
    fetched = utcnow()
    extras = dict(item.extras)
    published = parse_published(item.published, fetched, tz)
    if published is None:
        # The detector buckets posts by time; the fetch time is the best bound we have, and the
        # extras say so, so a mis-set selector shows up in the data instead of hiding.
        published = fetched
        extras["published_fallback"] = "fetched_at"
        extras["published_raw"] = None if item.published is None else str(item.published)
    return Post(
        source=item.source,
        url=item.url,
        id=post_id(item.source, item.native_id or item.url),
        author=hash_author(item.author, salt),
        title=(item.title or "").strip(),
        text=text,
        published_at=published,
        fetched_at=fetched,
        reach=Reach(
            views=parse_count(item.views),
            comments=parse_count(item.comments),
            reposts=parse_count(item.reposts),
            likes=parse_count(item.likes),
        ),
        extras=extras,
    )


class PostPipeline:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.items = 0  # posts of this crawl, for the source's limits.max_items
        self.salt: str = settings.get("YUJING_AUTHOR_SALT") or "yujing-default-salt"
        self.tz = ZoneInfo(settings.get("YUJING_TIMEZONE") or "Asia/Shanghai")
        sink = settings.get("YUJING_POST_SINK")
        sink = load_object(sink) if isinstance(sink, str) else sink
        self.batches = PostBatches.from_crawler(crawler, sink) if sink is not None else None
        # Only feed exports (`scrapy crawl -o`) read what the pipeline returns; the daemon's
        # crawls throw it away, so the Post is turned into a dict only for an export.
        self.exporting = bool(settings.getdict("FEEDS"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostPipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PostItem):
            return item
        post = to_post(item, salt=self.salt, tz=self.tz)
        limits = getattr(getattr(self.crawler.spider, "source", None), "limits", None)
        if limits is not None:
            post = self._within(post, limits)
        if self.batches is not None:
            if await self.batches.add(post):
                self.stats.inc_value("yujing/accepted")
            else:
                self.stats.inc_value("yujing/duplicates")
        # Pass the Post on, not the raw item: feed exports (`scrapy crawl -o`) then hold hashed
        # authors and UTC times, never a complainant's name.
        return post.to_dict() if self.exporting else post

    def _within(self, post: Post, limits: Any) -> Post:
        """The post cut to the source's limits, or DropItem past the crawl's ``max_items``."""
        self.items += 1
        if self.items > limits.max_items:
            self.stats.inc_value("yujing/over_max_items")
            if self.items == limits.max_items + 1:
                logger.warning(
                    "source %s: more than %d posts in one crawl (limits.max_items); the rest "
                    "are left for the next crawl",
                    post.source,
                    limits.max_items,
                )
            raise DropItem("over the source's max_items", log_level="DEBUG")
        cut = bounded(post, limits)
        if cut is not post:
            self.stats.inc_value("yujing/cut_to_limits")
            logger.warning(
                "source %s: a post from %s was over the source's limits and was cut (%s)",
                post.source,
                post.url,
                ", ".join(k for k in cut.extras if k not in post.extras),
            )
        return cut
