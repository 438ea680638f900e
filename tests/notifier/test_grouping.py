"""Aggregation groups on a clock the test moves: group_wait, group_interval, repeat_interval,
the resolution, and a restart in the middle of a group.

Driven as the application drives the notifier: each alert is saved and its event submitted in
one transaction; delivery (which flushes the groups due) runs at the times the test names, and
the real file receiver writes what is sent."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.notifier.dispatch import Notifier
from yujing.store import Store

from .conftest import T0, make_alert, make_config

WAIT, INTERVAL, REPEAT = timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=4)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Setup:
    """A store, a notifier with the shipped timers sending to a file, and the clock."""

    def __init__(self, tmp_path: Path, route: dict[str, Any] | None = None):
        self.path = tmp_path / "y.db"
        self.out = tmp_path / "sent.jsonl"
        receivers = [{"name": n, "type": "file", "path": str(self.out)} for n in ("file",)]
        # No inhibit rules: the shipped one would keep the category alerts these tests group
        # with their product's quiet (``test_inhibition`` covers that).
        self.config = make_config(
            notify={
                "receivers": receivers,
                "route": route or {"receiver": "file"},
                "inhibit_rules": [],
            }
        )
        self.clock = Clock()
        self.open()

    def open(self) -> None:
        self.store = Store(self.path)
        store = self.store
        self.notifier = Notifier(
            self.config,
            store,
            firing=lambda: store.alerts.all(AlertState.FIRING),
            silences=store.silences.all,
            clock=self.clock,
        )

    def restart(self) -> None:
        self.notifier.close()
        self.store.close()
        self.open()

    def event(self, kind: str, alert: Alert, at: timedelta) -> None:
        """At ``T0 + at`` the detector reports ``alert``'s ``kind``."""
        self.clock.now = T0 + at
        with self.store.transaction():
            self.store.alerts.save(alert)
            self.notifier.submit(AlertEvent(EventKind(kind), alert))

    def deliver(self, at: timedelta) -> list[dict[str, Any]]:
        """Deliver at ``T0 + at``; the notifications written by this delivery."""
        before = self.sent()
        self.clock.now = T0 + at
        self.notifier.deliver_due()
        return self.sent()[len(before) :]

    def sent(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text(encoding="utf-8").splitlines()]


def told(notification: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, event) of the alerts a notification tells anew."""
    return [
        (a["key"], a["event"]) for a in notification["alerts"] if a["id"] in notification["changed"]
    ]


def keys(notification: dict[str, Any]) -> list[str]:
    return [a["key"] for a in notification["alerts"]]


def test_alerts_sharing_the_group_labels_within_group_wait_go_out_as_one(tmp_path: Path) -> None:
    s = Setup(tmp_path)
    s.event("firing", make_alert("p"), timedelta(0))
    s.event("firing", make_alert("p", "理赔"), timedelta(seconds=10))
    s.event("firing", make_alert("q"), timedelta(seconds=20))
    assert s.deliver(WAIT - timedelta(seconds=1)) == [], "group_wait has not run out"
    waiting = {g.key: n for g, n in s.store.groups.waiting()}  # what `status` shows
    assert waiting == {'{product="p"}': 2, '{product="q"}': 1}
    (p,) = s.deliver(WAIT)
    assert p["group_key"] == '{product="p"}' and p["group_labels"] == {"product": "p"}
    assert told(p) == [("burst:p", "firing"), ("burst:p/理赔", "firing")]
    (q,) = s.deliver(timedelta(seconds=20) + WAIT)  # each group has its own timer
    assert told(q) == [("burst:q", "firing")]
    assert s.store.groups.waiting() == []


def test_later_changes_go_out_no_more_often_than_group_interval(tmp_path: Path) -> None:
    s = Setup(tmp_path)
    s.event("firing", make_alert("p"), timedelta(0))
    assert len(s.deliver(WAIT)) == 1
    # Three changes within one interval: the escalation, then an update, then a category.
    later = T0 + timedelta(minutes=1)
    s.event(
        "escalated", make_alert("p", updated_at=later, severity=Severity.RED), timedelta(minutes=1)
    )
    s.event(
        "updated",
        make_alert("p", updated_at=later + timedelta(minutes=1), severity=Severity.RED),
        timedelta(minutes=2),
    )
    s.event("firing", make_alert("p", "退保"), timedelta(minutes=3))
    assert s.deliver(WAIT + INTERVAL - timedelta(seconds=1)) == []
    (n,) = s.deliver(WAIT + INTERVAL)
    # The escalation not yet told stays an escalation, with the update's numbers.
    assert told(n) == [("burst:p", "escalated"), ("burst:p/退保", "firing")]
    assert n["alerts"][0]["severity"] == "red" and n["alerts"][0]["updated_at"].startswith(
        "2024-05-01T06:02"
    )
    # Nothing changed since: the next looks send nothing.
    assert s.deliver(WAIT + 2 * INTERVAL) == []
    assert s.deliver(WAIT + 3 * INTERVAL) == []


def test_an_unchanged_firing_group_is_told_again_after_repeat_interval(tmp_path: Path) -> None:
    s = Setup(tmp_path)
    s.event("firing", make_alert("p"), timedelta(0))
    s.event("firing", make_alert("p", "理赔"), timedelta(seconds=1))
    (first,) = s.deliver(WAIT)
    assert first["repeat"] is False
    at = WAIT
    quiet = []
    while at + INTERVAL < WAIT + REPEAT:  # every look of the group until the repeat is due
        at += INTERVAL
        quiet += s.deliver(at)
    assert quiet == []
    (again,) = s.deliver(at + INTERVAL)
    assert again["repeat"] is True and again["changed"] == []
    assert keys(again) == ["burst:p", "burst:p/理赔"]
    assert s.deliver(at + 2 * INTERVAL) == [], "the repeat starts the interval again"


def test_a_resolved_alert_is_told_once_and_leaves_its_group(tmp_path: Path) -> None:
    s = Setup(tmp_path)
    s.event("firing", make_alert("p"), timedelta(0))
    s.event("firing", make_alert("p", "理赔"), timedelta(seconds=1))
    s.deliver(WAIT)
    at = timedelta(minutes=2)
    gone = make_alert("p", "理赔", state=AlertState.RESOLVED, updated_at=T0 + at)
    s.event("resolved", gone, at)
    (n,) = s.deliver(WAIT + INTERVAL)
    assert told(n) == [("burst:p/理赔", "resolved")]
    assert n["status"] == "firing", "the product still fires"
    assert keys(n) == ["burst:p", "burst:p/理赔"]
    assert s.deliver(WAIT + 2 * INTERVAL) == []
    # Its repeat shows only what still fires.
    (again,) = s.deliver(WAIT + REPEAT + INTERVAL)
    assert keys(again) == ["burst:p"]
    # The last alert resolves: told once, then the group is gone.
    end = WAIT + REPEAT + 2 * INTERVAL
    s.event("resolved", make_alert("p", state=AlertState.RESOLVED, updated_at=T0 + end), end)
    (last,) = s.deliver(end + INTERVAL)
    assert last["status"] == "resolved" and told(last) == [("burst:p", "resolved")]
    assert s.store.groups.all() == []
    assert s.deliver(end + REPEAT * 2) == []


def test_an_alert_that_fires_and_resolves_within_group_wait_is_never_told(
    tmp_path: Path,
) -> None:
    s = Setup(tmp_path)
    s.event("firing", make_alert("p"), timedelta(0))
    gone = make_alert("p", state=AlertState.RESOLVED, updated_at=T0 + timedelta(seconds=10))
    s.event("resolved", gone, timedelta(seconds=10))
    assert s.deliver(WAIT) == []
    assert s.store.groups.all() == []


def test_a_restart_in_the_middle_of_a_group_neither_loses_nor_repeats_it(tmp_path: Path) -> None:
    s = Setup(tmp_path)
    s.event("firing", make_alert("p"), timedelta(0))
    s.restart()  # before group_wait ran out
    s.event("firing", make_alert("p", "理赔"), timedelta(seconds=10))
    assert s.deliver(WAIT - timedelta(seconds=1)) == []
    (n,) = s.deliver(WAIT)
    assert told(n) == [("burst:p", "firing"), ("burst:p/理赔", "firing")]
    later = T0 + timedelta(minutes=1)
    s.event(
        "escalated", make_alert("p", updated_at=later, severity=Severity.RED), timedelta(minutes=1)
    )
    s.restart()  # between two looks of the group
    assert s.deliver(WAIT + INTERVAL - timedelta(seconds=1)) == []
    (update,) = s.deliver(WAIT + INTERVAL)
    assert told(update) == [("burst:p", "escalated")]
    s.restart()
    assert s.deliver(WAIT + 2 * INTERVAL) == [], "told already: not told again"


def test_child_routes_inherit_and_override_grouping(tmp_path: Path) -> None:
    route = {
        "receiver": "file",
        "group_by": ["kind"],
        "routes": [
            {"matchers": ["product=urgent"], "group_wait": "0s"},  # its parent's group_by
            {"matchers": ["product=~p|q"], "group_by": ["..."]},
        ],
    }
    s = Setup(tmp_path, route)
    s.event("firing", make_alert("urgent"), timedelta(0))
    s.event("firing", make_alert("p"), timedelta(0))
    s.event("firing", make_alert("p", "理赔"), timedelta(0))
    (urgent,) = s.deliver(timedelta(0))
    assert urgent["group_key"] == '{kind="burst"}' and keys(urgent) == ["burst:urgent"]
    both = {n["group_key"]: keys(n) for n in s.deliver(WAIT)}
    assert both == {
        '{kind="burst",product="p"}': ["burst:p"],
        '{category="理赔",kind="burst",product="p"}': ["burst:p/理赔"],
    }
