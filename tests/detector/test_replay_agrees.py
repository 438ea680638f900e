"""Live detection and ``yujing replay --store`` over one store raise the same alerts."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console

from yujing.app.status import print_status
from yujing.detector.burst import detector_for
from yujing.detector.replay import replay_store
from yujing.store import Store

from .daemon_history import START, Wave, arrivals, config_for, run_daemon

ON_TIME = Wave(START + timedelta(days=8, hours=3), 12, 5)
# Larger, and fetched in one export four hours after its first call.
LATE = Wave(START + timedelta(days=9, hours=3), 20, 3, export_after=timedelta(hours=4))


def test_live_detection_and_replay_of_its_store_raise_the_same_alerts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = config_for(tmp_path)
    came = arrivals(10, ON_TIME, LATE)
    with caplog.at_level(logging.WARNING, logger="yujing.detector"):
        live = run_daemon(config, came)
    # The late wave (20 calls, the ones that read as complaints) is said once, and kept.
    said = [r.getMessage() for r in caplog.records if "after their window" in r.getMessage()]
    assert len(said) == 1, said
    told = re.match(r"anxin-e: (\d+) complaints from 11-11 11:00-12:00 arrived after", said[0])
    assert told and 15 <= int(told[1]) <= 20, said
    store = Store(config.storage.path)
    [kept] = store.time_notices.late()
    store.close()
    assert (kept.product, kept.posts) == ("anxin-e", int(told[1]))
    assert kept.first_at == LATE.start
    shown = io.StringIO()
    print_status(config, Console(file=shown, width=200, color_system=None))
    assert said[0].split(" (deliver")[0] in shown.getvalue()

    caplog.clear()
    replayed: list[dict] = []
    with caplog.at_level(logging.WARNING, logger="yujing.detector"):
        posts = replay_store(config, config.storage.path, None, replayed.append).posts
    assert [
        r.getMessage() for r in caplog.records if "after their window" in r.getMessage()
    ] == said
    assert posts == len(came)
    assert [(e["event"], e["id"], e["updated_at"]) for e in replayed] == live
    fired = [i for e, i, _ in live if e == "firing"]
    assert len(fired) == 1 and ON_TIME.start.strftime("%Y%m%d") in fired[0], live

    published: list[dict] = []
    replay_store(config, config.storage.path, None, published.append, as_published=True)
    firing = [e["id"] for e in published if e["event"] == "firing"]
    assert len(firing) == 2, "as published, the late wave is a wave too"


def test_a_first_start_learns_the_stored_history_without_calling_it_late(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = config_for(tmp_path)
    # A large wave in a late export, and a complaint fetched before the export: the wave's
    # posts are stored after a later one.
    late = Wave(LATE.start, 40, 1, export_after=LATE.export_after)
    before = Wave(LATE.start + timedelta(hours=3), 1, 1)
    run_daemon(config, arrivals(10, ON_TIME, late, before))
    store = Store(config.storage.path)
    store.db.execute("DELETE FROM state")  # a first start on this store
    store.db.execute("DELETE FROM late_waves")
    caplog.clear()  # what the daemon said while it ran
    with caplog.at_level(logging.WARNING, logger="yujing.detector"):
        detector = detector_for(config, store)
        detector.evaluate(["anxin-e"], START + timedelta(days=12))
    assert not [r for r in caplog.records if "after their window" in r.getMessage()]
    assert store.time_notices.late() == []
    store.close()


def test_a_late_wave_in_two_exports_is_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = config_for(tmp_path)
    first = Wave(LATE.start, 15, 2, export_after=timedelta(hours=4))
    rest = Wave(LATE.start + timedelta(minutes=30), 15, 2, export_after=timedelta(hours=5))
    with caplog.at_level(logging.WARNING, logger="yujing.detector"):
        live = run_daemon(config, arrivals(10, ON_TIME, first, rest))
    said = [r.getMessage() for r in caplog.records if "after their window" in r.getMessage()]
    assert len(said) == 1, said
    store = Store(config.storage.path)
    [kept] = store.time_notices.late()
    store.close()
    told = int(re.match(r"anxin-e: (\d+) complaints", said[0])[1])
    assert kept.posts > told, "the second export's calls are added to the wave"
    assert kept.first_at == LATE.start and kept.last_at == LATE.start + timedelta(hours=1)
    replayed: list[dict] = []
    replay_store(config, config.storage.path, None, replayed.append)
    assert [(e["event"], e["id"], e["updated_at"]) for e in replayed] == live
