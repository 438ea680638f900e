"""Retention: old posts leave the store; what a reader or a receiver still needs stays."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yujing.alerts import Alert, AlertState, Severity
from yujing.app.components.retention import Retention
from yujing.app.daemon import Daemon
from yujing.config import ConfigError, load_config
from yujing.notifier.elastic import CURSOR_KEY
from yujing.records import Post, ScoredPost, format_time, utcnow
from yujing.store import Store

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=200)


def scored(n: int, published: datetime, source: str = "forum") -> ScoredPost:
    post = Post(
        source=source,
        url=f"https://bbs.example.cn/t/{n}",
        id=f"{source}:{n}",
        author=f"h{n}",
        title=f"安心e生理赔被拒 第{n}帖",
        text=f"第{n}位客户：安心e生医疗险拖着不赔，客服推脱 {n}",
        published_at=published,
        fetched_at=published,
    )
    return ScoredPost(post, ("anxin-e",), ("claims",), 0.1)


def ids(store: Store) -> set[str]:
    return {r[0] for r in store.db.execute("SELECT id FROM posts")}


def prune_all(store: Store, before: datetime, keep_after: int):
    total = []
    while (step := store.retention.prune(before, keep_after=keep_after, batch=2)).total:
        total.append(step)
    return (
        sum(s.posts for s in total),
        sum(s.runs for s in total),
        sum(s.messages for s in total),
    )


def test_old_posts_go_with_their_products_and_aliases_and_the_rest_stays(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    for n in range(5):
        store.posts.accept(scored(n, OLD + timedelta(hours=n)))
    store.posts.link(scored(99, OLD, "feed").post, "forum:0")  # forum:0 seen again in a feed
    store.posts.accept(scored(5, NOW - timedelta(days=1)))
    store.posts.accept(scored(6, OLD))  # an old post committed last (a late first crawl)
    last = store.posts.last_rowid()

    # The reader has passed rowid 3 only: posts 4 and 5 (rowids 4, 5) have not been read yet.
    assert prune_all(store, NOW - timedelta(days=180), keep_after=3) == (3, 0, 0)
    assert ids(store) == {"forum:3", "forum:4", "forum:5", "forum:6"}
    assert store.db.execute("SELECT count(*) FROM post_aliases").fetchone() == (0,)
    assert {r[0] for r in store.db.execute("SELECT post_id FROM post_products")} == ids(store)
    assert store.posts.has("forum:6") and not store.posts.has("feed:99")

    # Read to the end: every old post goes but the newest row, whose rowid must not come back.
    assert prune_all(store, NOW - timedelta(days=180), keep_after=last) == (2, 0, 0)
    assert ids(store) == {"forum:5", "forum:6"}
    assert store.posts.accept(scored(7, NOW)) == last + 1  # after every reader's cursor
    store.close()


def test_undelivered_dead_and_firing_messages_stay(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    old = format_time(OLD)

    def row(alert_id: str, *, delivered: bool, error: str | None = None) -> int:
        rid = store.outbox.enqueue("slack", {"id": alert_id})
        store.db.execute(
            "UPDATE outbox SET created_at=?, delivered_at=?, last_error=? WHERE id=?",
            (old, old if delivered else None, error, rid),
        )
        return rid

    gone = row("a@resolved", delivered=True)
    waiting = row("a@resolved", delivered=False, error="TimeoutError: slow")
    dead = row("b@resolved", delivered=True, error="not delivered: unreadable alert event")
    told = row("c@firing", delivered=True)
    fresh = store.outbox.enqueue("slack", {"id": "a@resolved"})
    store.outbox.delivered(fresh)
    store.alerts.save(Alert("c", "c@firing", Severity.RED, AlertState.FIRING, OLD, OLD))

    # Crawl runs: old ones go except each source's latest; the running one stays.
    for source, started in [("forum", OLD), ("forum", OLD), ("feed", OLD), ("forum", NOW)]:
        store.db.execute(
            "INSERT INTO source_runs(source, started_at, finished_at) VALUES (?,?,?)",
            (source, format_time(started), format_time(started)),
        )
    store.db.execute("INSERT INTO source_runs(source, started_at) VALUES ('inbox', ?)", (old,))

    assert prune_all(store, NOW - timedelta(days=180), keep_after=0) == (0, 2, 1)
    left = {r[0] for r in store.db.execute("SELECT id FROM outbox")}
    assert left == {waiting, dead, told, fresh} and gone not in left
    runs = store.db.execute("SELECT source, started_at FROM source_runs ORDER BY id").fetchall()
    assert runs == [("feed", old), ("forum", format_time(NOW)), ("inbox", old)]
    store.close()


CONFIG = """
storage:
  path: {db}
  retention: 30d
alerts_file: null
products:
  - id: anxin-e
    name: 安心e生医疗险
"""


def test_the_daemon_keeps_what_its_detector_and_indexer_have_not_read(tmp_path: Path) -> None:
    cfg = tmp_path / "yujing.yaml"
    text = CONFIG.format(db=tmp_path / "y.db")
    es = "elasticsearch:\n  hosts: ['http://127.0.0.1:9']\n"
    cfg.write_text(text + es, encoding="utf-8")
    now = utcnow()
    daemon = Daemon(cfg)
    retention = daemon.get(Retention)
    for n in range(4):
        assert daemon.pipeline.accept(scored(n, now - timedelta(days=60, minutes=n)).post)
    assert daemon.pipeline.accept(scored(4, now - timedelta(minutes=5)).post)

    # The detector has read them (it caught up when the pipeline was built or on detect),
    # the indexer none: nothing goes.
    daemon.pipeline.detect(now)
    assert daemon.pipeline.detector.cursor == 5
    assert asyncio.run(retention.prune()).posts == 0

    # Indexed up to rowid 2: the first two go, and the detector's state was saved first.
    daemon.store.state.set(CURSOR_KEY, 2)
    assert asyncio.run(retention.prune()).posts == 2
    assert ids(daemon.store) == {"forum:2", "forum:3", "forum:4"}
    daemon.close()

    # Without Elasticsearch the detector's cursor rules; the newest row stays. A restarted
    # daemon resumes from the saved state and sees a new post once.
    cfg.write_text(text, encoding="utf-8")
    daemon = Daemon(cfg)
    assert asyncio.run(daemon.get(Retention).prune()).posts == 2
    assert ids(daemon.store) == {"forum:4"}
    assert daemon.pipeline.detector.cursor == 5
    assert daemon.pipeline.accept(scored(5, now).post)
    assert daemon.pipeline.detector.catch_up() == {"anxin-e"}
    assert daemon.pipeline.detector.cursor == 6
    daemon.close()


def test_no_retention_keeps_everything(tmp_path: Path) -> None:
    cfg = tmp_path / "yujing.yaml"
    cfg.write_text(CONFIG.format(db=tmp_path / "y.db").replace("  retention: 30d\n", ""), "utf-8")
    daemon = Daemon(cfg)
    assert daemon.pipeline.accept(scored(0, OLD).post)
    assert daemon.pipeline.accept(scored(1, OLD).post)
    daemon.pipeline.detect(utcnow())
    assert asyncio.run(daemon.get(Retention).prune()).total == 0
    assert len(ids(daemon.store)) == 2
    daemon.close()


@pytest.mark.parametrize("value", ["180", "12h", "-5d"])
def test_a_retention_without_unit_or_too_short_is_refused(tmp_path: Path, value: str) -> None:
    cfg = tmp_path / "yujing.yaml"
    cfg.write_text(CONFIG.format(db=tmp_path / "y.db").replace("30d", value), "utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    [problem] = info.value.problems
    assert problem.startswith(f"{cfg}:4: storage.retention: ")
