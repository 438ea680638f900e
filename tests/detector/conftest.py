from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yujing.records import Post, post_id


def make_post(
    text: str,
    *,
    title: str = "",
    source: str = "forum",
    native_id: str = "1",
    author: str | None = "someone",
    at: datetime | None = None,
) -> Post:
    when = at or datetime(2024, 3, 1, tzinfo=UTC)
    return Post(
        source=source,
        url=f"https://{source}.example/{native_id}",
        id=post_id(source, native_id),
        author=author,
        title=title,
        text=text,
        published_at=when,
        fetched_at=when,
    )


@pytest.fixture
def post_factory():
    return make_post
