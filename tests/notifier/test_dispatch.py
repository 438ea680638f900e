from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from testkit.fakes.slack import FakeSlack
from yujing import config as cfg
from yujing.alerts import AlertEvent
from yujing.notifier.dispatch import DeliveryReport, Notifier, backoff
from yujing.notifier.notification import Notification
from yujing.notifier.receivers.slack import SlackReceiver
from yujing.records import utcnow
from yujing.store import Store

from .conftest import make_config, make_event


class Flaky:
    """Fails the first ``failures`` sends, then records what it gets (``got``: the alert
    events of the notifications, in order)."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.calls = 0
        self.got: list[AlertEvent] = []

    def send(self, notification: Notification) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"refused #{self.calls}")
        self.got.extend(notification.events)


def notify(route: dict[str, Any], names: tuple[str, ...] = ("log", "a", "b"), **extra: Any):
    """Each alert its own group, told at once and a second after each change, never repeated:
    these tests are about delivery, not grouping (``test_grouping`` is)."""
    receivers = [{"name": n, "type": "log"} for n in names]
    timers = {"group_wait": "0s", "group_interval": "1s", "repeat_interval": "1000d"}
    route = {"group_by": ["..."], **timers, **route}
    return make_config(notify={"receivers": receivers, "route": route, **extra})


def due_ids(store: Store, at) -> list[int]:
    return [i.id for i in store.outbox.due(at)]


def test_labels_are_the_alerts_own_plus_its_facts() -> None:
    labels = make_event("escalated", severity="red").labels()
    assert labels == {
        "product": "anxin-e",
        "kind": "burst",
        "severity": "red",  # the fact wins over a stale label
        "team": "pr-east",
        "state": "firing",
        "event": "escalated",
    }


def test_submit_enqueues_one_durable_row_per_routed_receiver(store: Store) -> None:
    config = notify(
        {
            "receiver": "log",
            "routes": [
                {"receiver": "a", "matchers": ["team=pr-east"], "continue": True},
                {"receiver": "b", "matchers": ["severity=~orange|red"]},
            ],
        }
    )
    notifier = Notifier(config, store, receivers={})
    grouped = notifier.submit(make_event())
    assert [n.receiver for n in grouped] == ["a", "b"]
    assert store.outbox.due(utcnow() + timedelta(seconds=1)) == [], "a group waits for its flush"
    assert notifier.flush(utcnow() + timedelta(seconds=1)) == 2
    items = store.outbox.due(utcnow() + timedelta(seconds=1))
    assert [(i.receiver, i.payload["status"]) for i in items] == [("a", "firing"), ("b", "firing")]
    assert items[0].payload["alerts"] == [make_event().to_dict()]
    assert notifier.submit(make_event(severity="blue", labels={})) != []  # falls to the root
    notifier.flush(utcnow() + timedelta(seconds=1))
    assert store.outbox.due(utcnow() + timedelta(seconds=1))[-1].receiver == "log"


def test_failure_then_retry_delivers_exactly_once(store: Store, caplog) -> None:
    flaky = Flaky(failures=1)
    notifier = Notifier(notify({"receiver": "a"}), store, receivers={"a": flaky})
    notifier.submit(make_event())
    start = utcnow()
    with caplog.at_level(logging.WARNING, logger="yujing.notifier"):
        assert notifier.deliver_due(start) == DeliveryReport(sent=0, failed=1)
    assert "to a failed" in caplog.text and "ConnectionError: refused #1" in caplog.text
    assert store.outbox.pending() == [("a", 1, "ConnectionError: refused #1")]

    assert notifier.deliver_due(start + timedelta(seconds=4)) == DeliveryReport(0, 0)  # backing off
    assert notifier.deliver_due(start + timedelta(seconds=5)) == DeliveryReport(1, 0)
    assert notifier.deliver_due(start + timedelta(hours=5)) == DeliveryReport(0, 0)
    assert len(flaky.got) == 1 and flaky.got[0].id == make_event().id
    assert store.outbox.pending() == []


def test_backoff_doubles_up_to_retry_max(store: Store) -> None:
    assert [backoff(n, 3600) for n in range(5)] == [5, 10, 20, 40, 80]
    assert backoff(20, 3600) == 3600 and backoff(10_000, 60) == 60

    notifier = Notifier(
        notify({"receiver": "a"}, retry_max="30s"),
        store,
        receivers={"a": Flaky(failures=99)},
    )
    notifier.submit(make_event())
    now = utcnow()
    waits = []
    for _ in range(5):
        assert notifier.deliver_due(now).failed == 1
        # Find the retry time: due at now+wait, not a second before.
        wait = next(s for s in range(1, 100) if due_ids(store, now + timedelta(seconds=s)))
        waits.append(wait)
        now += timedelta(seconds=wait)
    assert waits == [5, 10, 20, 30, 30]


def test_each_receiver_gets_its_events_in_order(store: Store) -> None:
    a, b = Flaky(failures=1), Flaky()
    route = {"receiver": "a", "routes": [{"receiver": "b", "continue": True}, {"receiver": "a"}]}
    notifier = Notifier(notify(route), store, receivers={"a": a, "b": b})
    notifier.submit(make_event("firing"))
    start = utcnow()
    assert notifier.deliver_due(start) == DeliveryReport(sent=1, failed=1)  # b ok, a failed
    notifier.submit(make_event("resolved"))
    # a's "resolved" is due now, but its "firing" waits for its retry: nothing overtakes it.
    assert notifier.deliver_due(start + timedelta(seconds=1)) == DeliveryReport(sent=1, failed=0)
    assert [e.event for e in b.got] == ["firing", "resolved"]
    assert a.got == []
    assert notifier.deliver_due(start + timedelta(seconds=6)) == DeliveryReport(sent=2, failed=0)
    assert [e.event for e in a.got] == ["firing", "resolved"]


def test_unknown_receiver_is_logged_and_kept_pending(store: Store, caplog) -> None:
    store.outbox.enqueue("gone", make_event().to_dict())  # routed under an older config
    notifier = Notifier(notify({"receiver": "a"}), store, receivers={"a": Flaky()})
    with caplog.at_level(logging.WARNING, logger="yujing.notifier"):
        assert notifier.deliver_due(utcnow()) == DeliveryReport(0, 0)
        notifier.deliver_due(utcnow())
    assert caplog.text.count("no receiver named 'gone'") == 1
    assert store.outbox.pending() == [("gone", 1, None)]

    later = Notifier(notify({"receiver": "a"}), store, receivers={"gone": (back := Flaky())})
    assert later.deliver_due(utcnow()) == DeliveryReport(1, 0)
    assert len(back.got) == 1


def test_pending_alerts_survive_reopening_the_store(tmp_path: Path) -> None:
    path = tmp_path / "yujing.db"
    first = Store(path)
    config = notify({"receiver": "a"})
    failing = Notifier(config, first, receivers={"a": Flaky(failures=1)})
    failing.submit(make_event())
    start = utcnow()
    failing.deliver_due(start)
    failing.submit(make_event("resolved"))
    failing.flush(start + timedelta(seconds=1))
    first.close()  # the process stops with both undelivered

    second = Store(path)
    try:
        assert second.outbox.pending() == [("a", 2, "ConnectionError: refused #1")]
        receiver = Flaky()
        report = Notifier(config, second, receivers={"a": receiver}).deliver_due(
            start + timedelta(seconds=5)
        )
        assert report == DeliveryReport(2, 0)
        assert [e.event for e in receiver.got] == ["firing", "resolved"]
        assert second.outbox.pending() == []
    finally:
        second.close()


def test_slack_rate_limit_retries_after_slacks_own_delay(store: Store) -> None:
    token = "xoxb-1111-2222-fake"
    with FakeSlack(token=token) as slack:
        conf = cfg.SlackReceiver(
            name="a", type="slack", token=token, channel="#预警", base_url=slack.api_url
        )
        notifier = Notifier(
            notify({"receiver": "a"}), store, receivers={"a": SlackReceiver(conf, store.chat)}
        )
        notifier.submit(make_event())
        slack.rate_limit(times=1, retry_after=30)
        start = utcnow()
        assert notifier.deliver_due(start) == DeliveryReport(0, 1)
        assert notifier.deliver_due(start + timedelta(seconds=29)) == DeliveryReport(0, 0)
        assert notifier.deliver_due(start + timedelta(seconds=30)) == DeliveryReport(1, 0)
    assert len(slack.messages()) == 1
    assert slack.messages()[0]["channel"] == "#预警"


def test_default_receivers_come_from_the_config(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    config = make_config(
        notify={
            "receivers": [{"name": "file", "type": "file", "path": str(path)}],
            "route": {"receiver": "file"},
        }
    )
    notifier = Notifier(config, store)
    notifier.submit(make_event())
    assert notifier.deliver_due() == DeliveryReport(0, 0), "the shipped group_wait is 30s"
    assert notifier.deliver_due(utcnow() + timedelta(seconds=30)) == DeliveryReport(1, 0)
    assert "安心e生理赔被拒" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("event", ["firing", "updated", "escalated", "resolved"])
def test_every_event_kind_is_routable(store: Store, event: str) -> None:
    # `a` takes the firing (a receiver first hears of an alert as firing) and the routed kind.
    route = {
        "receiver": "log",
        "routes": [{"receiver": "a", "matchers": [f"event=~firing|{event}"]}],
    }
    notifier = Notifier(notify(route), store, receivers={})
    notifier.submit(make_event("firing"))
    notifier.flush(utcnow())
    if event != "firing":
        notifier.submit(make_event(event, updated_at="2024-05-01T08:00:00+00:00"))
        notifier.flush(utcnow() + timedelta(seconds=1))
    queued = [i.payload["alerts"][0]["event"] for i in store.outbox.queue("a")]
    assert queued == list(dict.fromkeys(["firing", event]))
    assert store.outbox.queue("log") == []


def test_a_dead_receivers_backlog_does_not_hold_up_the_others(store: Store) -> None:
    config = notify(
        {"receiver": "a", "routes": [{"receiver": "a", "continue": True}, {"receiver": "b"}]}
    )
    dead, alive = Flaky(failures=100), Flaky()
    notifier = Notifier(config, store, receivers={"a": dead, "b": alive})
    for i in range(5):
        notifier.submit(make_event(id=f"burst:x@{i}", labels={"product": f"p{i}"}))
    start = utcnow()
    # With a global "oldest first, at most 2" the five rows of `a` would fill every batch.
    report = notifier.deliver_due(start, limit=2)
    assert report == DeliveryReport(2, 1)
    assert [e.id for e in alive.got] == ["burst:x@0", "burst:x@1"]
    assert dead.calls == 1, "after a failure the receiver's later rows wait: order is kept"
    assert notifier.deliver_due(start, limit=2) == DeliveryReport(2, 0)
    assert [e.id for e in alive.got][2:] == ["burst:x@2", "burst:x@3"]


def test_async_delivery_sends_from_a_worker_thread(store: Store) -> None:
    import asyncio
    import threading

    threads: list[str] = []

    class Recorder(Flaky):
        def send(self, notification: Notification) -> None:
            threads.append(threading.current_thread().name)
            super().send(notification)

    notifier = Notifier(notify({"receiver": "a"}), store, receivers={"a": Recorder()})
    notifier.submit(make_event())
    loop = asyncio.new_event_loop()
    try:
        report = loop.run_until_complete(notifier.deliver_due_async())
    finally:
        loop.close()
    assert report == DeliveryReport(1, 0)
    assert threads and threads[0] != threading.main_thread().name, "the send left the loop"
    assert store.outbox.pending() == []


def test_close_releases_receivers_that_hold_connections(store: Store) -> None:
    class Holder(Flaky):
        closed = False

        def close(self) -> None:
            self.closed = True

    holder, plain = Holder(), Flaky()
    notifier = Notifier(notify({"receiver": "a"}), store, receivers={"a": holder, "b": plain})
    notifier.close()
    assert holder.closed


def test_an_unreadable_row_is_set_aside_and_the_queue_goes_on(store: Store, caplog) -> None:
    good = Flaky()
    notifier = Notifier(notify({"receiver": "a"}), store, receivers={"a": good})
    bad = store.outbox.enqueue("a", {"id": make_event().id, "text": "告警"})  # no alert in it
    notifier.submit(make_event())
    with caplog.at_level(logging.ERROR, logger="yujing.notifier"):
        assert notifier.deliver_due() == DeliveryReport(sent=1, failed=0)
    assert [e.id for e in good.got] == [make_event().id]
    assert store.outbox.pending() == []
    (row,) = store.db.execute("SELECT last_error FROM outbox WHERE id=?", (bad,)).fetchall()
    assert row[0].startswith("not delivered: unreadable notification (KeyError")
    assert f"outbox row {bad} for a set aside" in caplog.text
    # and the notification log still reads: the next event for that alert is routed as usual
    assert notifier.submit(make_event("resolved")) != []


def test_a_round_reads_a_receivers_rows_only_up_to_the_first_waiting_for_its_retry(
    store: Store,
) -> None:
    """Through a long outage the rows behind the one waiting are neither sent nor read: each
    round costs the same however long the backlog."""
    ids = [store.outbox.enqueue("a", {"n": n}) for n in range(5)]
    now = utcnow()
    assert [i.id for i in store.outbox.due_in_order("a", now)] == ids
    assert [i.id for i in store.outbox.due_in_order("a", now, limit=2)] == ids[:2]
    store.outbox.failed(ids[2], "refused", now + timedelta(minutes=5))
    assert [i.id for i in store.outbox.due_in_order("a", now)] == ids[:2]
    store.outbox.failed(ids[0], "refused", now + timedelta(minutes=1))
    assert store.outbox.due_in_order("a", now) == []
    assert [i.id for i in store.outbox.due_in_order("a", now + timedelta(minutes=1))] == ids[:2]
    assert [i.id for i in store.outbox.due_in_order("a", now + timedelta(minutes=5))] == ids
    assert store.outbox.due_in_order("b", now) == []
