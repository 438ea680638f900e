"""The embedded SQLite store: posts committed and known by id or alias; outbox; alerts."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yujing.alerts import Alert, AlertState, BurstFacts, Severity
from yujing.records import Post, Reach, ScoredPost, hash_author, post_id
from yujing.store import Store

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def scored(
    n: int, *, product: str = "anxin-e", author: str = "王先生", source: str = "forum"
) -> ScoredPost:
    post = Post(
        source=source,
        url=f"http://127.0.0.1/t/{n}",
        id=post_id(source, str(n)),
        author=hash_author(author, "salt-for-tests"),
        title=f"安心e生理赔被拒 {n}",
        text=f"第{n}次申请理赔都被拒绝了",
        published_at=T0 + timedelta(minutes=n),
        fetched_at=T0 + timedelta(hours=1),
        reach=Reach(views=100 * n, comments=n),
    )
    return ScoredPost(post, (product,), (), 0.1, collective=n % 2 == 0)


def test_accept_commits_and_survives_a_new_connection(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    assert store.posts.accept(scored(1)) == 1  # its rowid
    # Seen from another connection right away: the post is committed, not buffered.
    other = sqlite3.connect(tmp_path / "y.db")
    assert other.execute("SELECT count(*) FROM posts").fetchone()[0] == 1
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    store.close()
    again = Store(tmp_path / "y.db")
    doc = again.posts.get(scored(1).post.id)
    assert doc["title"] == "安心e生理赔被拒 1"
    assert doc["products"] == ["anxin-e"]


def test_a_stored_document_round_trips_every_json_value_exactly(tmp_path: Path) -> None:
    # Documents are written by orjson, and by the json module for what orjson refuses.
    extras = {"huge": 2**70, "tiny": -(2**63), "ratio": 0.1, "中文": ["理赔", None, True], "e": ""}
    odd = replace(scored(1), post=replace(scored(1).post, extras=extras))
    store = Store(tmp_path / "y.db")
    store.posts.accept(odd)
    store.posts.accept(scored(2))
    assert store.posts.get(odd.post.id)["extras"] == extras
    assert ScoredPost.from_dict(store.posts.get(odd.post.id)) == odd
    assert ScoredPost.from_dict(store.posts.get(scored(2).post.id)) == scored(2)
    raw = sqlite3.connect(tmp_path / "y.db").execute("SELECT doc FROM posts").fetchall()
    assert "理赔被拒" in raw[1][0], "Chinese is stored as itself, not as escapes"


def test_posts_are_identified_by_id_never_by_text(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    first = scored(1)
    same_words = replace(scored(2), post=replace(scored(2).post, text=first.post.text))
    assert store.posts.accept(first) == 1
    assert store.posts.accept(same_words) == 2, "another post with the same words is a post"
    assert store.posts.accept(first) is None, "the same post id again is one post"
    assert store.posts.count() == 2


def test_a_linked_sighting_is_known_and_never_stored_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    stored = scored(1)
    feed_copy = scored(9, author="", source="feed").post  # another channel's id for it
    assert store.posts.accept(stored)
    assert store.posts.link(feed_copy, stored.post.id)
    assert not store.posts.link(feed_copy, stored.post.id), "linked once"
    assert store.posts.has(feed_copy.id) and store.posts.has(stored.post.id)
    assert store.posts.aliases(stored.post.id) == [(feed_copy.id, "feed", feed_copy.url)]
    assert store.posts.accept(scored(9, source="feed")) is None
    assert store.posts.count() == 1


def test_a_richer_record_replaces_the_stored_one_in_place(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    poor = scored(1, author="", source="feed", product="anxin-e")
    assert store.posts.accept(poor) == 1
    assert store.posts.accept(scored(2)) == 2
    forum = scored(3, product="jinfu")
    richer = replace(forum, post=replace(forum.post, id=poor.post.id), text_id=poor.post.id)
    assert store.posts.replace(richer, alias=forum.post)
    # Same id and rowid: a reader that has passed row 1 sees no new post.
    assert store.posts.after(1) == [(2, scored(2).to_dict())]
    [(rowid, doc)] = store.posts.after(0, limit=1)
    assert rowid == 1 and doc == {**richer.to_dict(), "amended": 1}
    assert doc["author"] == forum.post.author
    assert store.posts.product_counts() == {"anxin-e": 1, "jinfu": 1}
    assert store.posts.has(forum.post.id) and store.posts.count() == 2
    # What it was and became, for a reader that counted it as it was.
    [(seq, post_rowid, was, now)] = store.posts.amendments_after(0)
    assert (seq, post_rowid, was, now) == (1, 1, poor.to_dict(), richer.to_dict())
    assert store.posts.amendments_after(1) == []
    edited = replace(richer, post=replace(richer.post, text="改过的正文"))
    assert store.posts.update(edited)
    assert store.posts.get(poor.post.id)["amended"] == 2, "an edit is an amendment too"
    was = {**richer.to_dict(), "amended": 1}
    assert store.posts.amendments_after(1) == [(2, 1, was, edited.to_dict())]
    assert store.posts.by_address(forum.post.url) == poor.post.id, "found at the alias' address"
    assert not store.posts.replace(scored(7), alias=scored(8).post), "nothing stored to replace"
    assert not store.posts.update(scored(7)), "nor to edit"
    assert store.posts.amendments_after(2) == [], "nothing amended either"


def test_a_second_record_of_a_post_is_merged_into_the_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    first, second = scored(1), scored(2, author="", source="weibo")
    assert store.posts.accept(first) == 1 and store.posts.accept(second) == 2
    assert store.posts.link(scored(3, source="feed").post, second.post.id)
    assert store.posts.merge(second.post, first.post.id)
    assert store.posts.count() == 1 and store.posts.get(second.post.id) is None
    assert store.posts.product_counts() == {"anxin-e": 1}
    assert {a[0] for a in store.posts.aliases(first.post.id)} == {
        second.post.id,
        scored(3, source="feed").post.id,
    }, "its id and its own sightings are the first's now"
    assert store.posts.by_address(second.post.url) == first.post.id
    [(seq, rowid, was, now)] = store.posts.amendments_after(0)
    assert (rowid, was, now) == (2, second.to_dict(), {"merged_into": first.post.id})
    assert not store.posts.merge(second.post, first.post.id), "merged once"
    store.close()


def test_outbox_retries_until_delivered(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    item = store.outbox.enqueue("slack", {"id": "a1", "text": "告警"})
    [due] = store.outbox.due()
    assert due.id == item and due.payload == {"id": "a1", "text": "告警"}
    later = datetime.now(UTC) + timedelta(minutes=5)
    store.outbox.failed(item, "connection refused", later)
    assert store.outbox.due() == []
    assert store.outbox.pending() == [("slack", 1, "connection refused")]
    store.close()
    reopened = Store(tmp_path / "y.db")
    [retry] = reopened.outbox.due(later + timedelta(seconds=1))
    assert retry.attempts == 1
    reopened.outbox.delivered(item)
    assert reopened.outbox.due(later + timedelta(days=1)) == []
    assert reopened.outbox.pending() == []


def test_the_notification_log_lists_what_a_receiver_was_told_of_one_alert(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "y.db")
    t0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    first = store.outbox.enqueue("slack", {"alerts": []})
    store.notified.record("slack", [("a1", "firing", t0), ("a2", "firing", t0)], first)
    store.notified.record("es", [("a1", "firing", t0)], store.outbox.enqueue("es", {}))
    later = store.outbox.enqueue("slack", {"alerts": []})
    store.notified.record("slack", [("a1", "resolved", t0 + timedelta(hours=1))], later)
    store.notified.record("slack", [("a1", "resolved", t0 + timedelta(hours=1))], later)  # again
    store.outbox.delivered(first)  # delivered rows are still what the receiver was told
    assert store.notified.sent("slack", "a1") == [
        ("firing", t0),
        ("resolved", t0 + timedelta(hours=1)),
    ]
    assert store.notified.sent("es", "a2") == []
    assert store.notified.receivers("a1") == ["es", "slack"]
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT event FROM notified WHERE receiver=? AND alert_id=?",
        ("slack", "a1"),
    ).fetchall()
    assert "SEARCH notified USING" in str(plan), "indexed: the log only grows"
    store.close()


def test_alert_round_trip_and_firing_lookup(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    alert = Alert(
        key="burst:anxin-e",
        id="burst:anxin-e@20261120T060000Z",
        severity=Severity.ORANGE,
        state=AlertState.FIRING,
        started_at=T0,
        updated_at=T0,
        labels={"kind": "burst", "product": "anxin-e"},
        reasons=("12 posts in 1 h against a usual 0.4",),
        burst=BurstFacts(
            window_start=T0,
            window_end=T0 + timedelta(hours=1),
            count=12,
            baseline=0.4,
            complainants=9,
            samples=({"id": "x", "title": "理赔难", "url": "http://x", "source": "forum"},),
        ),
    )
    store.alerts.save(alert)
    assert store.alerts.firing("burst:anxin-e") == alert
    resolved = Alert.from_dict(
        {**alert.to_dict(), "state": "resolved", "resolved_at": "2026-11-20T08:00:00+00:00"}
    )
    store.alerts.save(resolved)
    assert store.alerts.firing("burst:anxin-e") is None
    assert store.alerts.all() == [resolved]


def test_author_hash_is_salted_and_stable() -> None:
    a = hash_author("13800001234", "salt-one")
    assert a == hash_author(" 13800001234 ", "salt-one")
    assert a != hash_author("13800001234", "salt-two")
    assert "13800001234" not in a
    assert hash_author("", "salt-one") is None


def test_the_connection_is_set_up_as_before(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    pragmas = {
        name: store.db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }
    # synchronous 1 is NORMAL
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }
    store.close()


def test_posts_cursor_and_counts(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    assert store.posts.last_rowid() == 0 and store.posts.latest_published() is None
    for n in (1, 2, 3):
        assert store.posts.accept(scored(n, product="anxin-e" if n < 3 else "jinfu"))
    assert store.posts.has(scored(2).post.id) and not store.posts.has("nope")
    assert [doc["id"] for _, doc in store.posts.after(1)] == [scored(2).post.id, scored(3).post.id]
    assert [rowid for rowid, _ in store.posts.after(0, limit=2)] == [1, 2]
    assert store.posts.last_rowid() == 3
    assert store.posts.latest_published() == T0 + timedelta(minutes=3)
    assert store.posts.latest_dated() == T0 + timedelta(minutes=3)
    assert store.posts.product_counts() == {"anxin-e": 2, "jinfu": 1}
    assert store.posts.product_counts(T0 + timedelta(minutes=2)) == {"anxin-e": 1, "jinfu": 1}
    # A post dated a year past its fetch counts when it was fetched.
    ahead = scored(4)
    ahead = replace(
        ahead,
        post=replace(
            ahead.post, published_at=T0 + timedelta(days=365), fetched_at=T0 + timedelta(minutes=5)
        ),
    )
    assert store.posts.accept(ahead)
    assert store.posts.latest_published() == T0 + timedelta(days=365)
    assert store.posts.latest_dated() == T0 + timedelta(minutes=5)


def test_runs_report_each_sources_latest_complete_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    first = store.runs.start("forum")
    store.runs.finish(first, 10, 4, 0, None)
    cut = store.runs.start("forum")
    store.runs.finish(cut, 2, 1, 0, "interrupted by shutdown", complete=False)
    store.runs.start("hotline")  # still running: not reported yet
    runs = store.runs.latest()
    assert list(runs) == ["forum"]
    assert (runs["forum"].items, runs["forum"].accepted, runs["forum"].last_error) == (10, 4, None)
    assert runs["forum"].finished_at is not None


def test_state_round_trips_json_and_replaces(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    assert store.state.get("k", 0) == 0
    store.state.set("k", {"cursor": 3, "名": ["a"]})
    store.state.set("k", {"cursor": 4, "名": ["a"]})
    store.close()
    again = Store(tmp_path / "y.db")
    assert again.state.get("k") == {"cursor": 4, "名": ["a"]}
    again.close()


def test_a_transaction_spans_the_views_and_rolls_back_on_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    with pytest.raises(RuntimeError), store.transaction():
        store.state.set("k", 1)
        store.outbox.enqueue("slack", {"id": "a1"})
        raise RuntimeError("detector failed")
    assert store.state.get("k") is None and store.outbox.pending() == []
    with store.transaction():
        store.state.set("k", 2)
        store.outbox.enqueue("slack", {"id": "a1"})
    assert store.state.get("k") == 2 and store.outbox.pending() == [("slack", 1, None)]
