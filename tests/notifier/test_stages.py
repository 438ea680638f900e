"""The pipeline's plumbing and its simplest stages: run, route, group and outbox."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from yujing.alerts import AlertEvent, EventKind
from yujing.config import Route
from yujing.notifier.stages import (
    GroupStage,
    Notice,
    OutboxLog,
    OutboxStage,
    RouteStage,
    Sent,
    build_stages,
    run,
)
from yujing.store import Store

from .conftest import T0, make_alert, make_config

FIRING = AlertEvent(EventKind.FIRING, make_alert())


class Counting:
    """A stage that records what it was given and lets ``keep`` of it through."""

    def __init__(self, keep: int | None = None):
        self.keep = keep
        self.calls: list[list[Notice]] = []

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        self.calls.append(list(notices))
        return list(notices)[: self.keep]


def test_run_passes_each_stages_output_to_the_next_and_stops_when_empty() -> None:
    first, drops, last = Counting(keep=2), Counting(keep=0), Counting()
    notices = [Notice(FIRING, receiver=r) for r in "abc"]
    assert run([first, drops, last], notices) == []
    assert [n.receiver for n in drops.calls[0]] == ["a", "b"]
    assert last.calls == [], "nothing left: later stages are not asked"


def test_route_gives_one_notice_per_receiver_in_routing_order(caplog) -> None:
    tree = Route.model_validate(
        {
            "receiver": "log",
            "routes": [
                {"receiver": "es", "continue": True},
                {"receiver": "slack", "matchers": ["severity=~orange|red"]},
            ],
        }
    )
    out = RouteStage(tree).run([Notice(FIRING)])
    assert [(n.receiver, n.event) for n in out] == [("es", FIRING), ("slack", FIRING)]

    nowhere = RouteStage(Route.model_validate({"routes": [{"receiver": "x", "matchers": ["a=b"]}]}))
    with caplog.at_level(logging.INFO, logger="yujing.notifier"):
        assert nowhere.run([Notice(FIRING)]) == []
    assert "matched no receiver" in caplog.text


def test_group_key_is_the_alerts_series() -> None:
    category = AlertEvent(EventKind.UPDATED, make_alert(category="理赔"))
    out = GroupStage().run([Notice(FIRING, receiver="a"), Notice(category, receiver="a")])
    assert [n.group for n in out] == ["burst:anxin-e", "burst:anxin-e/理赔"]
    assert [(n.receiver, n.event) for n in out] == [("a", FIRING), ("a", category)]


def test_outbox_writes_rows_and_they_are_the_notification_log(tmp_path: Path) -> None:
    path = tmp_path / "y.db"
    store = Store(path)
    other = AlertEvent(EventKind.FIRING, make_alert("other"))
    out = OutboxStage(store.outbox).run(
        [Notice(FIRING, receiver="a"), Notice(FIRING, receiver="b"), Notice(other, receiver="a")]
    )
    rows = store.outbox.queue("a") + store.outbox.queue("b")
    assert {n.row: (n.receiver, n.event.id) for n in out} == {
        i.id: (i.receiver, i.payload["id"]) for i in rows
    }
    assert len(rows) == 3
    assert [(i.receiver, i.payload) for i in store.outbox.queue("b")] == [("b", FIRING.to_dict())]
    store.close()

    reopened = Store(path)  # the log is the outbox itself: it survives a restart
    try:
        log = OutboxLog(reopened.outbox)
        assert log.sent("a", FIRING.id) == [Sent(EventKind.FIRING, T0)]
        assert log.sent("b", other.id) == []
        for item in reopened.outbox.queue("a"):
            reopened.outbox.delivered(item.id)
        assert log.sent("a", FIRING.id) == [Sent(EventKind.FIRING, T0)], "delivered rows count"
    finally:
        reopened.close()


def test_stages_come_in_alertmanagers_order(store: Store) -> None:
    names = [type(s).__name__ for s in build_stages(make_config().notify, store.outbox, list)]
    assert names == [
        "RouteStage",
        "GroupStage",
        "InhibitStage",
        "SilenceStage",
        "DedupStage",
        "OutboxStage",
    ]
