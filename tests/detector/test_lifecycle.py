"""One conversation per wave: events on material changes only, every alert still stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from yujing.alerts import Alert, AlertState, BurstFacts, EventKind, Severity
from yujing.config import Config
from yujing.detector.lifecycle import Lifecycle
from yujing.detector.replay import replay_posts
from yujing.records import Post, post_id

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def alert(count: int, severity: Severity = Severity.BLUE, minute: int = 0, **kw) -> Alert:
    at = T0 + timedelta(minutes=minute)
    return Alert(
        key="burst:a",
        id="burst:a@1",
        severity=severity,
        state=AlertState.FIRING,
        started_at=T0,
        updated_at=at,
        labels={"kind": "burst", "product": "a"},
        burst=BurstFacts(
            window_start=T0, window_end=at, count=count, baseline=0.2, complainants=count
        ),
        **kw,
    )


def told(life: Lifecycle, *alerts: Alert) -> list[str]:
    changes = life.name(alerts)
    life.apply(changes)
    return [c.event.event.value if c.event else "-" for c in changes]


def test_growth_is_told_when_it_doubles_and_severity_when_it_rises() -> None:
    life = Lifecycle()
    steps = [alert(n, minute=n) for n in (6, 7, 8, 9, 11, 12, 13, 20, 23, 24)]
    assert told(life, *steps) == ["firing", "-", "-", "-", "-", "updated", "-", "-", "-", "updated"]
    assert told(life, alert(25, Severity.ORANGE, 30)) == ["escalated"]
    assert told(life, alert(40, Severity.ORANGE, 31)) == ["-"]  # 40 < 2 x 25
    done = alert(40, Severity.ORANGE, 90).resolve(T0 + timedelta(minutes=90))
    assert told(life, done) == ["resolved"]
    assert life.firing == {}


def test_every_alert_is_stored_with_what_was_last_told() -> None:
    life = Lifecycle()
    (first,) = life.name([alert(6)])
    life.apply([first])
    (quiet,) = life.name([alert(9, minute=5)])
    assert quiet.event is None and quiet.alert.burst.count == 9  # stored with the latest count
    assert quiet.alert.annotations == {"told_count": "6", "told_severity": "blue"}


def test_a_restart_carries_what_was_told_on() -> None:
    life = Lifecycle()
    changes = life.name([alert(6), alert(10, minute=3)])
    stored = changes[-1].alert  # what the store holds after the second evaluation
    restarted = Lifecycle([stored])
    assert told(restarted, alert(11, minute=4)) == ["-"]
    assert told(restarted, alert(12, minute=5)) == ["updated"]
    # an alert stored before told_* existed counts as told as it stands
    legacy = replace(stored, annotations={})
    assert told(Lifecycle([legacy]), alert(19, minute=6)) == ["-"]


def test_a_new_wave_of_the_same_series_fires_again() -> None:
    life = Lifecycle()
    told(life, alert(6))
    told(life, alert(6).resolve(T0 + timedelta(hours=2)))
    assert told(life, replace(alert(7, minute=200), id="burst:a@2")) == ["firing"]


def _post(n: int, at: datetime, text: str, sentiment: float = 0.1) -> dict:
    d = Post(
        "forum", f"https://bbs.example/{n}", post_id("forum", str(n)), f"u{n}", "", text, at, at
    )
    out = d.to_dict()
    out.update(products=["a"], categories=[], sentiment=sentiment, collective="维权" in text)
    return out


def test_a_150_post_wave_is_at_most_five_events(tmp_path: Path) -> None:
    import json

    rng = Random(7)
    start = T0 - timedelta(days=14)
    lines, n, t = [], 0, start
    while t < T0:  # about two complaints a day for two weeks
        if rng.random() < 2 / 144:
            n += 1
            lines.append(_post(n, t, f"理赔有点慢 {n}"))
        t += timedelta(minutes=10)
    # 150 complaints over four hours, growing then fading, with a pause in the middle
    minutes = sorted(rng.choice([*range(0, 100), *range(125, 240)]) for _ in range(150))
    for i, m in enumerate(minutes):
        n += 1
        lines.append(_post(n, T0 + timedelta(minutes=m, seconds=i), f"突然停售，大家进维权群 {n}"))
    path = tmp_path / "wave.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", "utf-8")
    events: list[dict] = []
    replay_posts(Config(products=[{"id": "a", "name": "产品A"}]), path, events.append)
    kinds = [e["event"] for e in events]
    assert kinds[0] == EventKind.FIRING and kinds[-1] == EventKind.RESOLVED
    assert kinds.count("firing") == 1, kinds  # the pause did not resolve and refire
    assert len(events) <= 5, kinds
