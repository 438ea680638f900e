"""A stored post read again with other words or counts (an edit, new replies) updates the
stored one: same id and row, so nothing reading rows in order counts it twice."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from yujing.app.pipeline import Pipeline
from yujing.config import Config
from yujing.records import Post, Reach, post_id
from yujing.store import Store

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def pipeline(tmp_path: Path) -> Pipeline:
    config = Config.model_validate(
        {
            "products": [
                {"id": "anxin-e", "name": "安心e生医疗险"},
                {"id": "fmt", "name": "福满堂年金险"},
            ],
            "alerts_file": None,
            "storage": {"path": str(tmp_path / "y.db")},
        }
    )
    return Pipeline(config, Store(config.storage.path))


def thread(text: str, comments: int, fetched: datetime) -> Post:
    url = "https://bbs.example/thread-1.html"
    return Post(
        source="bbs",
        url=url,
        id=post_id("bbs", url),
        author="a1b2",
        title="理赔被拒",
        text=text,
        published_at=fetched - timedelta(minutes=3),  # "3分钟前", read at each fetch
        fetched_at=fetched,
        reach=Reach(comments=comments),
    )


def test_an_edited_post_updates_the_stored_one_in_place(tmp_path: Path) -> None:
    p = pipeline(tmp_path)
    first = thread("安心e生医疗险理赔被拒，客服推脱。", 0, T0)
    assert p.accept(first)
    rowid = p.store.posts.last_rowid()

    edited = thread("安心e生医疗险理赔被拒，福满堂年金险也退保难。", 4, T0 + timedelta(hours=2))
    assert not p.accept(edited), "not a new post"
    doc = p.store.posts.get(first.id)
    assert doc["text"] == unicodedata.normalize("NFKC", edited.text)  # as understood
    assert doc["reach"]["comments"] == 4
    assert sorted(doc["products"]) == ["anxin-e", "fmt"]  # understood again
    assert doc["published_at"] == "2026-11-20T05:57:00+00:00", (
        "the first reading of its time stands"
    )
    assert p.store.posts.count() == 1 and p.store.posts.last_rowid() == rowid
    assert p.store.posts.product_counts() == {"anxin-e": 1, "fmt": 1}
    assert p.intake.updated == 1
    # Kept as an amendment, which the row includes: readers that sent the post on send it again.
    [(seq, amended_row, was, now)] = p.store.posts.amendments_after(0)
    assert amended_row == rowid and doc["amended"] == seq
    assert was["reach"]["comments"] == 0 and now["reach"]["comments"] == 4


def test_the_same_post_read_again_unchanged_is_left_alone(tmp_path: Path) -> None:
    p = pipeline(tmp_path)
    first = thread("安心e生医疗险理赔被拒，客服推脱。", 0, T0)
    assert p.accept(first)
    before = p.store.posts.get(first.id)
    again = replace(first, fetched_at=T0 + timedelta(hours=1))
    assert not p.accept(again)
    assert p.store.posts.get(first.id) == before and p.intake.updated == 0
