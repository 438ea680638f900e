"""The pipeline's plumbing and its simplest stages: run, route, group and outbox."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from yujing.alerts import AlertEvent, EventKind
from yujing.config import Route
from yujing.notifier.stages import (
    Group,
    GroupStage,
    Notice,
    OutboxStage,
    RouteStage,
    Sent,
    StoreLog,
    flush_stages,
    intake_stages,
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


def test_group_is_named_by_the_routes_group_by_labels(store: Store) -> None:
    tree = Route.model_validate(
        {
            "receiver": "a",
            "routes": [{"receiver": "b", "group_by": ["..."], "continue": True}, {"receiver": "a"}],
        }
    )
    category = AlertEvent(EventKind.UPDATED, make_alert(category="理赔"))
    routed = RouteStage(tree).run([Notice(FIRING), Notice(category)])
    out = GroupStage(store.groups, T0).run(routed)
    assert [(n.receiver, n.group.key) for n in out] == [
        ("b", '{kind="burst",product="anxin-e"}'),
        ("a", '{product="anxin-e"}'),  # the shipped group_by: [product]
        ("b", '{category="理赔",kind="burst",product="anxin-e"}'),
        ("a", '{product="anxin-e"}'),
    ]
    (group,) = [g for g in store.groups.all() if g.receiver == "a"]
    assert group.next_flush_at == T0 + timedelta(seconds=30), "group_wait from the first event"
    ids = [m.alert_id for m in store.groups.members("a", '{product="anxin-e"}')]
    assert ids == [FIRING.id, category.id]


def test_outbox_writes_one_row_per_group_and_logs_what_it_told(tmp_path: Path) -> None:
    path = tmp_path / "y.db"
    store = Store(path)
    other = AlertEvent(EventKind.FIRING, make_alert("other"))
    group = Group('{product="anxin-e"}', {"product": "anxin-e"})
    out = OutboxStage(store.outbox, store.notified, T0).run(
        [
            Notice(FIRING, receiver="a", group=group),
            Notice(FIRING, receiver="b", group=group),
            Notice(other, receiver="a", group=Group('{product="other"}')),
        ]
    )
    rows = store.outbox.queue("a") + store.outbox.queue("b")
    assert len(rows) == 3
    assert {n.row for n in out} == {i.id for i in rows}
    (b,) = store.outbox.queue("b")
    assert b.payload["alerts"] == [FIRING.to_dict()]
    assert b.payload["group_key"] == '{product="anxin-e"}' and b.payload["changed"] == [FIRING.id]
    store.close()

    reopened = Store(path)  # the log is kept: it survives a restart
    try:
        log = StoreLog(reopened.notified)
        assert log.sent("a", FIRING.id) == [Sent(EventKind.FIRING, T0)]
        assert log.sent("b", other.id) == []
        for item in reopened.outbox.queue("a"):
            reopened.outbox.delivered(item.id)
        assert log.sent("a", FIRING.id) == [Sent(EventKind.FIRING, T0)], "delivered rows count"
    finally:
        reopened.close()


def test_stages_come_in_alertmanagers_order(store: Store) -> None:
    notify = make_config().notify
    intake = intake_stages(notify, store.groups, T0)
    flush = flush_stages(notify, store, list, list, T0)
    assert [type(s).__name__ for s in intake + flush] == [
        "RouteStage",
        "GroupStage",
        "InhibitStage",
        "SilenceStage",
        "DedupStage",
        "OutboxStage",
    ]
