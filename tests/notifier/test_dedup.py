"""The dedup stage against a notification log: once per change, first as firing, no
resolution for a receiver that never heard of the alert, and a group told only with news or
when its repeat is due."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from yujing.alerts import AlertEvent, AlertState, EventKind
from yujing.notifier.stages import DedupStage, Group, Notice, Sent, StoreLog
from yujing.store import Store

from .conftest import T0, make_alert

LATER = T0 + timedelta(minutes=10)


class Log:
    """A notification log in memory, per receiver (these tests use one alert)."""

    def __init__(self, **entries: list[Sent]):
        self.entries = entries

    def sent(self, receiver: str, alert_id: str) -> list[Sent]:
        return list(self.entries.get(receiver, ()))


def notice(kind: str, updated_at: datetime = T0, receiver: str = "a") -> Notice:
    state = AlertState.RESOLVED if kind == "resolved" else AlertState.FIRING
    alert = make_alert(updated_at=updated_at, state=state)
    return Notice(AlertEvent(EventKind(kind), alert), receiver=receiver)


def kinds(out: list[Notice]) -> list[tuple[str, str]]:
    return [(n.receiver, n.event.event.value) for n in out]


FIRED = Sent(EventKind.FIRING, T0)


def test_an_event_already_enqueued_is_not_enqueued_again() -> None:
    stage = DedupStage(Log(a=[FIRED]))
    assert stage.run([notice("firing")]) == []
    assert kinds(stage.run([notice("updated", LATER)])) == [("a", "updated")]
    out = DedupStage(Log(a=[FIRED, Sent(EventKind.UPDATED, LATER)])).run(
        [notice("updated", LATER), notice("resolved", LATER)]
    )
    # The resolution is news; the update rides along as it was told.
    assert kinds(out) == [("a", "updated"), ("a", "resolved")]
    assert [n.fresh for n in out] == [False, True]


def test_the_first_notice_of_an_alert_is_a_firing() -> None:
    out = DedupStage(Log()).run([notice("escalated", LATER)])
    assert kinds(out) == [("a", "firing")]
    assert out[0].event.alert.updated_at == LATER, "with the alert as it is now"
    # The firing stood in for the escalation: the same escalation again is no news.
    stand_in = Sent(EventKind.FIRING, LATER)
    assert DedupStage(Log(a=[stand_in])).run([notice("escalated", LATER)]) == []


def test_a_resolution_goes_only_where_the_alert_was_told() -> None:
    stage = DedupStage(Log(a=[FIRED]))
    out = stage.run([notice("resolved", LATER, "a"), notice("resolved", LATER, "b")])
    assert kinds(out) == [("a", "resolved")]


def test_the_log_is_per_receiver() -> None:
    out = DedupStage(Log(a=[FIRED])).run([notice("updated", LATER, r) for r in "ab"])
    assert kinds(out) == [("a", "updated"), ("b", "firing")]


def test_one_run_never_lets_the_same_event_through_twice() -> None:
    out = DedupStage(Log()).run([notice("firing"), notice("firing"), notice("updated", LATER)])
    assert kinds(out) == [("a", "firing"), ("a", "updated")]


def test_a_group_without_news_is_told_again_only_when_its_repeat_is_due() -> None:
    quiet, due = Group("{}"), Group("{}", repeat_due=True)
    told = Log(a=[FIRED])
    assert DedupStage(told).run([replace(notice("firing"), group=quiet)]) == []
    out = DedupStage(told).run([replace(notice("firing"), group=due)])
    assert kinds(out) == [("a", "firing")] and not out[0].fresh
    # A group whose alerts have all been told resolved has nothing to repeat.
    gone = Log(a=[FIRED, Sent(EventKind.RESOLVED, LATER)])
    assert DedupStage(gone).run([replace(notice("resolved", LATER), group=due)]) == []


def test_with_the_store_as_log(store: Store) -> None:
    first = notice("firing")
    row = store.outbox.enqueue("a", {"alerts": [first.event.to_dict()]})
    store.notified.record("a", [(first.event.id, "firing", T0)], row)
    stage = DedupStage(StoreLog(store.notified))
    assert stage.run([first]) == []
    assert kinds(stage.run([notice("updated", LATER, "a"), notice("updated", LATER, "b")])) == [
        ("a", "updated"),
        ("b", "firing"),
    ]
