"""``yujing replay --store -c new.yaml`` counts, per rule, the false alarms a changed config would
still raise and the kept alerts it would lose."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from yujing.alerts import Action, Handling
from yujing.detector.replay import replay_store
from yujing.store import Store

from .daemon_history import START, Wave, arrivals, config_for, run_daemon

SMALL = Wave(START + timedelta(days=8, hours=3), 8, 7)
LARGE = Wave(START + timedelta(days=9, hours=3), 30, 2)


def _judge(db: Path, alert_id: str, false_alarm: str | None) -> None:
    store = Store(db)
    with store.transaction():
        if false_alarm is None:
            store.handling.add(Handling(alert_id, Action.ACK, "张三", START))
        else:
            store.handling.add(
                Handling(alert_id, Action.RESOLVE, "张三", START, f"误报：{false_alarm}")
            )
            store.handling.mark_false_alarm(alert_id, false_alarm)
    store.close()


def _replay(tmp_path: Path, db: Path, **burst) -> list[str]:
    config = config_for(tmp_path / "new", **burst)
    (tmp_path / "new").mkdir(exist_ok=True)
    verdicts = replay_store(config, db, None, lambda e: None).verdicts
    assert verdicts is not None
    return verdicts.lines()


def test_replay_counts_false_alarms_still_raised_and_kept_alerts_lost(tmp_path: Path) -> None:
    production = config_for(tmp_path)
    live = run_daemon(production, arrivals(10, SMALL, LARGE))
    small, large = [i for e, i, _ in live if e == "firing"]
    assert SMALL.start.strftime("%Y%m%d") in small and LARGE.start.strftime("%Y%m%d") in large
    db = production.storage.path
    _judge(db, small, "一个人反复发帖")
    _judge(db, large, None)

    same = _replay(tmp_path, db)
    assert same == [
        "burst: 1 of 1 alert(s) marked false alarms would still be raised; 0 of 1 kept "
        "alert(s) (acknowledged, not marked false) would be lost",
        f"  still raised: {small}",
    ]
    stricter = _replay(tmp_path, db, min_count=12)
    assert stricter[0] == (
        "burst: 0 of 1 alert(s) marked false alarms would still be raised; 0 of 1 kept "
        "alert(s) (acknowledged, not marked false) would be lost"
    ), stricter
    strictest = _replay(tmp_path, db, min_count=40)
    assert strictest == [
        "burst: 0 of 1 alert(s) marked false alarms would still be raised; 1 of 1 kept "
        "alert(s) (acknowledged, not marked false) would be lost",
        f"  lost: {large}",
    ]
