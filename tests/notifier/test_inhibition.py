"""What receivers get under the shipped inhibit rule: while a product's whole-product alert
fires, its category alerts reach no receiver; a calm product's category alerts are delivered.

Driven as the application drives the notifier: each alert is saved, then its event submitted,
in one transaction, and the firing alerts are read back from the store when the group (the
product's, under the shipped ``group_by``) is flushed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind
from yujing.notifier.dispatch import Notifier
from yujing.notifier.notification import Notification
from yujing.store import Store

from .conftest import T0, make_alert, make_config


class Recorder:
    """Records the alerts each notification tells anew."""

    def __init__(self) -> None:
        self.got: list[AlertEvent] = []

    def send(self, notification: Notification) -> None:
        self.got.extend(e for e in notification.events if e.id in notification.changed)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def setup(store: Store, **notify: Any) -> tuple[Notifier, Recorder, Recorder]:
    receivers = [{"name": n, "type": "log"} for n in ("slack", "es")]
    route = {
        "receiver": "slack",
        "routes": [{"receiver": "es", "continue": True}, {"receiver": "slack"}],
    }
    config = make_config(notify={"receivers": receivers, "route": route, **notify})
    slack, es = Recorder(), Recorder()
    notifier = Notifier(
        config,
        store,
        receivers={"slack": slack, "es": es},
        firing=lambda: store.alerts.all(AlertState.FIRING),
        clock=Clock(),
    )
    return notifier, slack, es


def evaluate(store: Store, notifier: Notifier, *events: tuple[str, Alert]) -> None:
    """One evaluation's events, as the pipeline commits them; then, once the group's timer
    has run out (group_wait 30s, group_interval 5m), deliver; the next evaluation comes
    10 minutes after this one."""
    clock = notifier.clock
    assert isinstance(clock, Clock)
    with store.transaction():
        for kind, alert in events:
            store.alerts.save(alert)
            notifier.submit(AlertEvent(EventKind(kind), alert))
    notifier.deliver_due(clock.now + timedelta(minutes=6))
    clock.now += timedelta(minutes=10)


def got(receiver: Recorder) -> list[tuple[str, str]]:
    return [(e.alert.key, e.event.value) for e in receiver.got]


def test_category_alerts_of_a_firing_product_reach_no_receiver(store: Store) -> None:
    notifier, slack, es = setup(store)
    product, category = make_alert("p"), make_alert("p", "理赔")
    evaluate(store, notifier, ("firing", product), ("firing", category))
    later = T0 + timedelta(minutes=10)
    evaluate(store, notifier, ("escalated", make_alert("p", "理赔", updated_at=later)))
    gone = make_alert("p", "理赔", state=AlertState.RESOLVED, updated_at=later + timedelta(hours=1))
    evaluate(store, notifier, ("resolved", gone))
    for receiver in (slack, es):
        assert got(receiver) == [("burst:p", "firing")]


def test_a_calm_products_category_alert_is_delivered(store: Store) -> None:
    notifier, slack, es = setup(store)
    busy, calm = make_alert("busy"), make_alert("calm", "退保")
    evaluate(store, notifier, ("firing", busy), ("firing", calm))
    for receiver in (slack, es):
        assert got(receiver) == [("burst:busy", "firing"), ("burst:calm/退保", "firing")]


def test_once_the_product_resolves_its_category_alert_opens_as_firing(store: Store) -> None:
    notifier, slack, _ = setup(store)
    evaluate(store, notifier, ("firing", make_alert("p")), ("firing", make_alert("p", "理赔")))
    t1, t2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    resolved = make_alert("p", state=AlertState.RESOLVED, updated_at=t1)
    evaluate(
        store, notifier, ("resolved", resolved), ("updated", make_alert("p", "理赔", updated_at=t1))
    )
    evaluate(
        store,
        notifier,
        ("resolved", make_alert("p", "理赔", state=AlertState.RESOLVED, updated_at=t2)),
    )
    assert got(slack) == [
        ("burst:p", "firing"),
        ("burst:p", "resolved"),
        ("burst:p/理赔", "firing"),  # its first notice, though the detector said "updated"
        ("burst:p/理赔", "resolved"),
    ]


def test_a_category_alert_told_before_its_product_fired_is_closed(store: Store) -> None:
    notifier, slack, _ = setup(store)
    evaluate(store, notifier, ("firing", make_alert("p", "理赔")))
    t1, t2 = T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)
    evaluate(
        store,
        notifier,
        ("firing", make_alert("p", started_at=t1, updated_at=t1)),
        ("updated", make_alert("p", "理赔", updated_at=t1)),
    )
    evaluate(
        store,
        notifier,
        ("resolved", make_alert("p", "理赔", state=AlertState.RESOLVED, updated_at=t2)),
    )
    assert got(slack) == [
        ("burst:p/理赔", "firing"),
        ("burst:p", "firing"),
        ("burst:p/理赔", "resolved"),  # its update was inhibited, its end is not
    ]


def test_without_inhibit_rules_every_alert_is_delivered(store: Store) -> None:
    notifier, slack, _ = setup(store, inhibit_rules=[])
    evaluate(store, notifier, ("firing", make_alert("p")), ("firing", make_alert("p", "理赔")))
    assert got(slack) == [("burst:p", "firing"), ("burst:p/理赔", "firing")]
