"""The schema's version, kept in ``PRAGMA user_version``, and the forward steps to reach it.

``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``; the current version is
``len(MIGRATIONS)``. Each step commits in one transaction with its version bump, so a failing
step leaves the file at the version before it. Steps are only ever appended: a released step
never changes, because files out there already carry its version.

Version 0 is a new, empty file or one made by a release that predates versioning (its tables are
migration 1's, created with ``IF NOT EXISTS``, so that step upgrades it in place).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from .db import Transaction

__all__ = ["MIGRATIONS", "Migration", "SchemaTooNew", "migrate", "schema_version", "sql"]

Migration = Callable[[sqlite3.Connection], None]


def _statements(script: str) -> Iterator[str]:
    """The statements of ``script``, one at a time.

    ``executescript`` would commit the open transaction first, so a script runs statement by
    statement inside it instead. A statement ends at the end of a line: write one per line (two on
    one line fail loudly in ``execute``).
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"migration script ends inside a statement: {pending.strip()[:80]!r}")


def sql(script: str) -> Migration:
    """A migration that runs an SQL script."""

    def run(db: sqlite3.Connection) -> None:
        for statement in _statements(script):
            db.execute(statement)

    return run


# The schema as the first releases created it, kept byte for byte: files made before versioning
# are upgraded by running it again.
V1_SCHEMA = """
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

V2_INDEXES = """
-- The notifier's notification log: which rows a receiver has had about an alert.
CREATE INDEX IF NOT EXISTS outbox_by_alert ON outbox(receiver, json_extract(payload, '$.id'));
-- The firing alerts are read on every evaluation (inhibition, the lifecycle on start).
CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts(state, updated_at);
"""

V3_IDENTITY = """
-- Posts are identified by source and native id, never by text: different people writing the
-- same sentence are different posts, so the table of text keys that dropped them goes.
DROP TABLE IF EXISTS dedup;
-- The same post seen through another channel (a feed copy, a repost, a call): its id there,
-- linked to the stored post, so it is known (not fetched or counted again) under both ids.
CREATE TABLE IF NOT EXISTS post_aliases (
    id TEXT PRIMARY KEY,
    post_id TEXT NOT NULL REFERENCES posts(id),
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    linked_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_aliases_by_post ON post_aliases(post_id);
"""

V4_SILENCES = """
CREATE TABLE IF NOT EXISTS silences (
    id TEXT PRIMARY KEY,
    matchers TEXT NOT NULL,  -- a JSON list of matchers, all of which must match
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    author TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS silences_by_end ON silences(ends_at);
"""

V5_CHAT_MESSAGES = """
-- One chat message per (receiver, alert): the wave's conversation, edited as the wave changes.
-- Kept so edits and thread replies survive a restart, and so a send that may have reached the
-- chat service (a timeout after the request left, a crash mid-send) is looked for, not repeated.
CREATE TABLE IF NOT EXISTS chat_messages (
    receiver TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',  -- the service's id of the channel, once known
    ts TEXT,  -- the wave's message; NULL until the service has answered
    told TEXT,  -- the last event fully delivered
    sending TEXT,  -- an event whose send left and may have arrived
    sending_since REAL,  -- when that send left (epoch seconds): where a search starts
    updated_at TEXT NOT NULL,
    PRIMARY KEY (receiver, alert_id)
) WITHOUT ROWID;
"""

V6_CRAWL_STATE = """
-- What each source's crawls have fetched: a list entry (thread URL, feed entry id) with what its
-- entry showed then (reply count, last reply), so a repeat crawl fetches only the new and the
-- changed, and stops paging at a list page it has seen.
CREATE TABLE IF NOT EXISTS crawl_seen (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    signature TEXT,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (source, key)
) WITHOUT ROWID;
-- A feed's validators (ETag, Last-Modified) from its last complete fetch: sent back, so an
-- unchanged feed answers 304.
CREATE TABLE IF NOT EXISTS feed_validators (
    source TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT
);
-- Each source's health: failed runs in a row, since when, why, and its last run that worked.
CREATE TABLE IF NOT EXISTS source_health (
    source TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    failing_since TEXT,
    reason TEXT,
    last_success_at TEXT
);
"""

V7_GROUPS = """
-- Aggregation groups, as Alertmanager's dispatcher keeps them in memory: per receiver and group
-- labels, the alerts waiting to be told together and when the group is next looked at.
CREATE TABLE IF NOT EXISTS alert_groups (
    receiver TEXT NOT NULL,
    key TEXT NOT NULL,
    labels TEXT NOT NULL,  -- JSON: the group labels
    group_interval REAL NOT NULL,
    repeat_interval REAL NOT NULL,
    created_at TEXT NOT NULL,
    next_flush_at TEXT NOT NULL,
    notified_at TEXT,  -- the group's last notification, NULL before its first
    PRIMARY KEY (receiver, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alert_groups_due ON alert_groups(next_flush_at);
CREATE TABLE IF NOT EXISTS alert_group_members (
    receiver TEXT NOT NULL,
    key TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    payload TEXT NOT NULL,  -- the alert's latest event (AlertEvent.to_dict)
    pending INTEGER NOT NULL DEFAULT 1,  -- 1: changed since the receiver was last told of it
    seq INTEGER NOT NULL,  -- arrival order, the order a notification lists its alerts in
    PRIMARY KEY (receiver, key, alert_id),
    FOREIGN KEY (receiver, key) REFERENCES alert_groups(receiver, key) ON DELETE CASCADE
) WITHOUT ROWID;
-- The next arrival's seq is max(seq) + 1: read from this index, not by scanning every member.
CREATE INDEX IF NOT EXISTS alert_group_members_seq ON alert_group_members(seq);
-- The notification log: what each receiver has been told of each alert (by event and time).
CREATE TABLE IF NOT EXISTS notified (
    receiver TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    event TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    outbox_id INTEGER NOT NULL,
    PRIMARY KEY (receiver, alert_id, event, updated_at)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS notified_by_alert ON notified(alert_id);
-- Rows queued before notifications carried several alerts hold one event each: they are what
-- their receivers were told.
INSERT OR IGNORE INTO notified(receiver, alert_id, event, updated_at, outbox_id) SELECT receiver, json_extract(payload, '$.id'), coalesce(json_extract(payload, '$.event'), json_extract(payload, '$.state')), json_extract(payload, '$.updated_at'), id FROM outbox WHERE json_valid(payload) AND json_extract(payload, '$.id') IS NOT NULL AND json_extract(payload, '$.updated_at') IS NOT NULL;
"""

V8_HANDLING = """
-- What people did about alerts (yujing alert ack|assign|note|resolve), one row per action.
CREATE TABLE IF NOT EXISTS handling (
    id INTEGER PRIMARY KEY,
    alert_id TEXT NOT NULL,
    action TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    why TEXT NOT NULL DEFAULT '',
    assignee TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS handling_by_alert ON handling(alert_id, id);
CREATE INDEX IF NOT EXISTS handling_by_time ON handling(at);
-- Per alert, when it was first taken up and first dealt with: time to acknowledge and resolve.
CREATE TABLE IF NOT EXISTS alert_handling (
    alert_id TEXT PRIMARY KEY,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    assignee TEXT,
    resolved_at TEXT,
    resolved_by TEXT
) WITHOUT ROWID;
-- The audit journal: alert events and handling actions, each entry holding the hash of the one
-- before, so an edited, removed or reordered entry breaks the chain (yujing audit verify).
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after the last row is gone
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    body TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
-- Append-only for yujing itself: a change has to go around these, and the chain shows it.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
"""

V9_TIME_AND_VERDICTS = """
-- A source whose times seem read in the wrong zone (yujing status says it until they fit).
CREATE TABLE IF NOT EXISTS zone_notices (
    source TEXT PRIMARY KEY,
    offset_s REAL NOT NULL,
    posts INTEGER NOT NULL,
    message TEXT NOT NULL,
    seen_at TEXT NOT NULL
) WITHOUT ROWID;
-- Waves whose posts arrived after their window and were learned as history, not alerted.
CREATE TABLE IF NOT EXISTS late_waves (
    series TEXT NOT NULL,
    product TEXT NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    posts INTEGER NOT NULL,
    learned_at TEXT NOT NULL,
    PRIMARY KEY (series, first_at)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS late_waves_by_time ON late_waves(learned_at);
-- An alert resolved as a false alarm (yujing alert resolve --false-alarm REASON): the reason.
ALTER TABLE alert_handling ADD COLUMN false_alarm TEXT;
"""

V9_ONE_POST = """
-- The web address of each stored post and of each sighting linked to it, as ``posts.web_address``
-- writes it: a feed entry and the page it links to are one post, whichever came first.
CREATE TABLE IF NOT EXISTS post_urls (
    address TEXT PRIMARY KEY,
    post_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_urls_by_post ON post_urls(post_id);
-- A stored post replaced by a richer record of it (an author where it had none, more text,
-- reach): what it was and what it is now, so a detector that counted it as it was corrects who
-- posted it instead of counting it again. ``post_rowid`` is the row's place in commit order.
CREATE TABLE IF NOT EXISTS post_amendments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id TEXT NOT NULL,
    post_rowid INTEGER NOT NULL,
    was TEXT NOT NULL,
    now TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS post_amendments_by_post ON post_amendments(post_id);
"""


def _web_addresses(db: sqlite3.Connection) -> None:
    """Version 10: the one-post tables, and the web addresses of the posts stored before them."""
    from .posts import web_address  # the one way addresses are written

    sql(V9_ONE_POST)(db)
    for table, id_column in (("posts", "id"), ("post_aliases", "post_id")):
        rows = db.execute(f"SELECT url, {id_column} FROM {table}")
        while batch := rows.fetchmany(1000):
            db.executemany(
                "INSERT OR IGNORE INTO post_urls(address, post_id) VALUES (?,?)",
                [(a, pid) for url, pid in batch if (a := web_address(url)) is not None],
            )


MIGRATIONS: list[Migration] = [
    sql(V1_SCHEMA),  # 1: posts, dedup, source_runs, state, alerts, outbox
    sql(V2_INDEXES),  # 2: the notification log and firing alerts by index
    sql(V3_IDENTITY),  # 3: identity by id: no text keys; aliases of posts seen twice
    sql(V4_SILENCES),  # 4: silences
    sql(V5_CHAT_MESSAGES),  # 5: a chat message per receiver and alert
    sql(V6_CRAWL_STATE),  # 6: crawl state per source: entries fetched, feed validators, health
    sql(V7_GROUPS),  # 7: aggregation groups and the notification log
    sql(V8_HANDLING),  # 8: handling actions, their times per alert, the audit journal
    sql(V9_TIME_AND_VERDICTS),  # 9: what status says about time; false alarms marked
    _web_addresses,  # 10: posts by web address; amendments of posts replaced by richer records
]


class SchemaTooNew(RuntimeError):
    """The file was written by a newer yujing, whose tables this code may misread."""

    def __init__(self, path: str | Path, found: int, known: int):
        self.path, self.found, self.known = str(path), found, known
        super().__init__(
            f"{path}: the database has schema version {found}, but this yujing only knows "
            f"versions up to {known}; a newer yujing wrote it. Upgrade yujing to use this "
            "database (it is left untouched)."
        )


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def check_readable(db: sqlite3.Connection, path: str | Path) -> None:
    """For a read-only look: refuse a file newer than this code (its tables may have moved)."""
    found = schema_version(db)
    if found > len(MIGRATIONS):
        raise SchemaTooNew(path, found, len(MIGRATIONS))


def migrate(db: sqlite3.Connection, path: str | Path) -> int:
    """Bring the file to ``len(MIGRATIONS)``; returns the version it had. ``path`` is for errors.

    Raises ``SchemaTooNew`` (before writing anything) when the file is ahead of this code.
    """
    known = len(MIGRATIONS)
    before = schema_version(db)
    if before > known:
        raise SchemaTooNew(path, before, known)
    version = before
    while version < known:
        # Read the version again under the write lock: another process opening the same file
        # (``yujing ingest`` beside the daemon) may have migrated it meanwhile.
        with Transaction(db):
            version = schema_version(db)
            if version > known:
                raise SchemaTooNew(path, version, known)
            if version < known:
                MIGRATIONS[version](db)
                version += 1
                # PRAGMA takes no parameters; the value is our own integer.
                db.execute(f"PRAGMA user_version = {version:d}")
    return before
