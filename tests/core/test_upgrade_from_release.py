"""A store written by the release before schema versions opens, upgrades and carries on.

``data/store-before-versions.sql`` is a dump of a store that release's own code wrote: 32 posts,
a source run, its detector state and Elasticsearch cursor, a firing wave and that wave's outbox
row (the file receiver's copy of the "firing" event, in that release's event format).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from yujing.alerts import AlertState
from yujing.app.pipeline import Pipeline
from yujing.config import Config
from yujing.store import Store
from yujing.store.migrations import MIGRATIONS

DUMP = Path(__file__).parent / "data" / "store-before-versions.sql"
T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "y.db"
    with sqlite3.connect(path) as db:
        db.executescript(DUMP.read_text(encoding="utf-8"))
    return path


def test_the_old_store_upgrades_in_place_and_keeps_everything(tmp_path: Path) -> None:
    path = old_store(tmp_path)
    store = Store(path)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert store.posts.count() == 32
        (run,) = store.runs.latest().values()
        assert (run.items, run.errors, run.last_error) == (12, 1, "HTTP 503 on page 2")
        assert store.state.get("es.posts.cursor") == 3
        (alert,) = store.alerts.all(AlertState.FIRING)
        assert alert.product == "anxin-e" and alert.burst is not None and alert.burst.count >= 5
        (item,) = store.outbox.queue("file")
        assert item.payload["event"] == "firing" and item.payload["id"] == alert.id
    finally:
        store.close()


def test_the_old_wave_carries_on_and_its_resolution_reaches_who_heard_it_fire(
    tmp_path: Path,
) -> None:
    path = old_store(tmp_path)
    out = tmp_path / "alerts.jsonl"
    config = Config.model_validate(
        {
            "storage": {"path": str(path)},
            "alerts_file": None,
            "products": [{"id": "anxin-e", "name": "安心e生医疗险", "aliases": ["安心e生"]}],
            "detection": {"burst": {"min_count": 5}},
            "notify": {
                "receivers": [{"name": "file", "type": "file", "path": str(out)}],
                "route": {"receiver": "file"},
            },
        }
    )
    pipeline = Pipeline(config, Store(path))
    try:
        events = []
        for minute in range(60, 6 * 60, 10):  # the wave is over: time passes without posts
            events += pipeline.detect(T0 + timedelta(minutes=minute), all_products=True)
        assert [e.event.value for e in events] == ["resolved"], "no second firing of the old wave"
        pipeline.notifier.deliver_due(T0 + timedelta(days=30))
        sent = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        told = [a for notification in sent for a in notification["alerts"]]
        assert [e["event"] for e in told] == ["firing", "resolved"]  # the old row, then the new
        assert told[0]["id"] == told[1]["id"]
    finally:
        pipeline.store.close()
