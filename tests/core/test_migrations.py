"""The store's schema version: files from before versioning upgrade in place, new files get every
migration once, a failed step changes nothing, and a file from a newer yujing is refused."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yujing.alerts import Alert, AlertState, Severity
from yujing.app.cli import main
from yujing.records import Post, Reach, ScoredPost, format_time, post_id
from yujing.store import SchemaTooNew, Store, migrations

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)

# The schema exactly as yujing/storage.py created it before the store had a version: files made
# by that release are at user_version 0 with these tables.
UNVERSIONED_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    author TEXT,
    published_at TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    sentiment REAL NOT NULL,
    collective INTEGER NOT NULL DEFAULT 0,
    reach INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_published ON posts(published_at);
CREATE TABLE IF NOT EXISTS post_products (
    post_id TEXT NOT NULL REFERENCES posts(id),
    product TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (product, published_at, post_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dedup (
    key TEXT PRIMARY KEY,
    post_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS source_runs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    items INTEGER NOT NULL DEFAULT 0,
    accepted INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    complete INTEGER NOT NULL DEFAULT 1  -- 0: cut short by shutdown, not a verdict on the source
);
CREATE INDEX IF NOT EXISTS source_runs_by_source ON source_runs(source, id);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_key ON alerts(key, state);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    receiver TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(delivered_at, next_attempt_at);
"""

CURRENT = len(migrations.MIGRATIONS)


def a_post() -> ScoredPost:
    post = Post(
        source="forum",
        url="http://127.0.0.1/t/1",
        id=post_id("forum", "1"),
        author="a1b2c3",
        title="安心e生理赔被拒",
        text="申请理赔被拒绝了，准备集体投诉",
        published_at=T0,
        fetched_at=T0 + timedelta(hours=1),
        reach=Reach(views=120, comments=4),
    )
    return ScoredPost(post, ("anxin-e",), ("claims",), 0.1, collective=True)


def an_alert() -> Alert:
    return Alert(
        key="burst:anxin-e",
        id="burst:anxin-e@20261120T060000Z",
        severity=Severity.ORANGE,
        state=AlertState.FIRING,
        started_at=T0,
        updated_at=T0,
        labels={"kind": "burst", "product": "anxin-e"},
        reasons=("12 posts in 1 h against a usual 0.4",),
    )


def unversioned_file(path: Path) -> None:
    """A file as the release before versioning left it, written with its SQL."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(UNVERSIONED_SCHEMA)
    scored, post = a_post(), a_post().post
    published = format_time(post.published_at)
    db.execute("INSERT INTO dedup(key, post_id) VALUES (?, ?)", ("text-key", post.id))
    db.execute(
        "INSERT INTO posts(id, source, url, author, published_at, fetched_at, sentiment,"
        " collective, reach, doc) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (post.id, post.source, post.url, post.author, published, format_time(post.fetched_at),
         scored.sentiment, 1, post.reach.total(), json.dumps(scored.to_dict(), ensure_ascii=False)),
    )  # fmt: skip
    db.execute(
        "INSERT INTO post_products(post_id, product, published_at) VALUES (?,?,?)",
        (post.id, "anxin-e", published),
    )
    db.execute(
        "INSERT INTO source_runs(source, started_at, finished_at, items, accepted, errors,"
        " last_error, complete) VALUES ('forum', ?, ?, 7, 1, 1, 'HTTP 503', 1)",
        (format_time(T0), format_time(T0 + timedelta(minutes=2))),
    )
    db.execute("INSERT INTO state(key, value) VALUES ('posts.es_cursor', '1')")
    alert = an_alert()
    db.execute(
        "INSERT INTO alerts(id, key, state, updated_at, doc) VALUES (?,?,?,?,?)",
        (alert.id, alert.key, alert.state.value, format_time(alert.updated_at),
         json.dumps(alert.to_dict(), ensure_ascii=False)),
    )  # fmt: skip
    db.execute(
        "INSERT INTO outbox(receiver, payload, created_at, next_attempt_at, attempts, last_error)"
        " VALUES ('slack', ?, ?, ?, 1, 'ConnectionError: refused')",
        (json.dumps({"id": alert.id, "text": "告警"}, ensure_ascii=False), format_time(T0),
         format_time(T0 + timedelta(seconds=5))),
    )  # fmt: skip
    db.close()


def schema_of(path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(path)
    rows = db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    db.close()
    return rows


def version_of(path: Path) -> int:
    db = sqlite3.connect(path)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    return version


def test_a_file_from_before_versioning_upgrades_in_place_and_keeps_every_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    unversioned_file(path)
    tables = schema_of(path)
    assert version_of(path) == 0

    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == CURRENT
    upgraded = schema_of(path)
    # Migration 1 is the old schema: nothing is rebuilt. Later ones add indexes, the post
    # aliases, silences, chat messages, crawl state, aggregation groups, the notification log,
    # handling and the audit journal, what status says about time, posts by web address and their
    # amendments, and drop the text keys that dropped posts as duplicates of
    # others'.
    assert [name for name, _ in set(tables) - set(upgraded)] == ["dedup"]
    assert sorted(name for name, _ in set(upgraded) - set(tables)) == [
        "alert_group_members",
        "alert_group_members_seq",
        "alert_groups",
        "alert_groups_due",
        "alert_handling",
        "alerts_by_state",
        "audit",
        "audit_no_delete",
        "audit_no_update",
        "chat_messages",
        "crawl_seen",
        "feed_validators",
        "handling",
        "handling_by_alert",
        "handling_by_time",
        "late_waves",
        "late_waves_by_time",
        "notified",
        "notified_by_alert",
        "outbox_by_alert",
        "post_aliases",
        "post_aliases_by_post",
        "post_amendments",
        "post_amendments_by_post",
        "post_urls",
        "post_urls_by_post",
        "silences",
        "silences_by_end",
        "source_health",
        "sqlite_autoindex_feed_validators_1",
        "sqlite_autoindex_silences_1",
        "sqlite_autoindex_source_health_1",
        "sqlite_sequence",
        "zone_notices",
    ]
    scored = a_post()
    assert store.posts.has(scored.post.id)
    assert store.posts.get(scored.post.id) == scored.to_dict()
    assert store.posts.count() == 1
    assert store.posts.product_counts(T0) == {"anxin-e": 1}
    assert store.posts.after(0) == [(1, scored.to_dict())]
    assert store.posts.last_rowid() == 1
    assert store.posts.latest_published() == T0
    assert store.posts.by_address(scored.post.url) == scored.post.id, "old posts by address"
    [run] = store.runs.latest().values()
    assert (run.source, run.items, run.accepted, run.errors) == ("forum", 7, 1, 1)
    assert run.last_error == "HTTP 503" and run.finished_at == T0 + timedelta(minutes=2)
    assert store.state.get("posts.es_cursor") == 1
    assert store.alerts.firing("burst:anxin-e") == an_alert()
    assert store.alerts.all(AlertState.FIRING) == [an_alert()]
    [item] = store.outbox.due(T0 + timedelta(seconds=5))
    assert (item.receiver, item.attempts) == ("slack", 1)
    assert item.payload == {"id": an_alert().id, "text": "告警"}
    assert store.outbox.pending() == [("slack", 1, "ConnectionError: refused")]
    # And it keeps working: the same post is known, the same text from another account is a
    # new post, and new rows follow the old ones.
    assert store.posts.accept(scored) is None
    other = replace(scored.post, id=post_id("forum", "2"), author="d4e5f6")
    assert store.posts.accept(replace(scored, post=other)) == 2
    assert store.posts.count() == 2
    store.close()


def test_a_new_file_gets_every_migration_and_the_same_tables(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    unversioned_file(old)
    Store(old).close()  # upgraded in place
    Store(tmp_path / "new.db").close()
    assert version_of(tmp_path / "new.db") == version_of(old) == CURRENT
    assert schema_of(tmp_path / "new.db") == schema_of(old)


def test_opening_again_runs_no_migration(tmp_path: Path, monkeypatch) -> None:
    runs: list[int] = []
    monkeypatch.setattr(
        migrations, "MIGRATIONS", [*migrations.MIGRATIONS, lambda db: runs.append(1)]
    )
    Store(tmp_path / "y.db").close()
    store = Store(tmp_path / "y.db")
    assert runs == [1]
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == CURRENT + 1
    store.close()


def test_two_processes_opening_a_new_file_at_once_migrate_it_once(
    tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "y.db"
    first = sqlite3.connect(path)  # an empty file in WAL mode, as `connect` leaves it
    first.execute("PRAGMA journal_mode=WAL")
    first.close()
    runs: list[str] = []

    def slow(db: sqlite3.Connection) -> None:
        runs.append(threading.current_thread().name)
        time.sleep(0.3)  # the other opener reads version 0 meanwhile, then waits for the lock

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, slow])
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            Store(path).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store, name=f"opener-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(runs) == 1, runs
    assert version_of(path) == CURRENT + 1


def test_a_failing_migration_leaves_the_file_at_its_previous_version(
    tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "y.db"
    Store(path).close()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        db.execute("INSERT INTO state(key, value) VALUES ('touched', '1')")
        raise RuntimeError("step failed")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="step failed"):
        Store(path)
    assert version_of(path) == CURRENT
    names = {name for name, _ in schema_of(path)}
    assert "half_done" not in names
    monkeypatch.undo()
    store = Store(path)
    assert store.state.get("touched") is None
    store.close()


def test_steps_commit_one_by_one_so_a_new_file_keeps_the_steps_before_a_failure(
    tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "y.db"
    step = migrations.sql("CREATE TABLE later (x);\nINSERT INTO missing VALUES (1);\n")
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, step])
    with pytest.raises(sqlite3.OperationalError, match="missing"):
        Store(path)
    assert version_of(path) == CURRENT
    names = {name for name, _ in schema_of(path)}
    assert "posts" in names and "later" not in names


def test_a_file_from_a_newer_yujing_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "y.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {CURRENT + 1}")
    db.close()
    with pytest.raises(SchemaTooNew) as refused:
        Store(path)
    message = str(refused.value)
    assert str(path) in message
    assert f"schema version {CURRENT + 1}" in message and f"up to {CURRENT}" in message
    assert "Upgrade yujing" in message
    assert version_of(path) == CURRENT + 1


def test_the_cli_says_what_to_do_with_a_newer_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "y.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {CURRENT + 5}")
    db.close()
    config = tmp_path / "yujing.yaml"
    config.write_text(f"storage: {{path: {path}}}\n", encoding="utf-8")
    assert main(["status", "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: the database has schema version {CURRENT + 5}")
    assert "Upgrade yujing" in err


def test_processes_creating_a_new_store_at_the_same_moment_all_succeed(tmp_path: Path) -> None:
    # SQLite does not wait on its busy timeout to switch a new file to WAL: without a retry,
    # some of these openers failed with "database is locked".
    code = (
        "import sys, time; from yujing.store import Store;"
        "t = float(sys.argv[2]); time.sleep(max(0.0, t - time.time()));"
        "Store(sys.argv[1]).close()"
    )
    for round_ in range(12):
        path = tmp_path / f"new{round_}.db"
        at = f"{time.time() + 1.0:.3f}"
        procs = [
            subprocess.Popen([sys.executable, "-c", code, str(path), at], stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        errors = [p.communicate(timeout=60)[1].decode() for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
        assert version_of(path) == CURRENT
