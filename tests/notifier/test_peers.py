"""Peers: two daemons, each with its own store, decide through a real Redis what they send.

Each "daemon" here is a ``SharedReceiver`` of its own, with its own ``RedisPeerLog`` (its own
connection and holder id), in front of one receiver that records what reaches it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from yujing.alerts import Action, AlertEvent, AlertState, EventKind, Handling, Severity
from yujing.config import Peers
from yujing.notifier.dispatch import Notifier
from yujing.notifier.notification import Notification
from yujing.notifier.peers import PeerSending, SharedReceiver
from yujing.notifier.peers_redis import RedisPeerLog

from .conftest import T0, make_config, make_event, notification


class Recording:
    def __init__(self) -> None:
        self.got: list[Notification] = []

    def send(self, n: Notification) -> None:
        self.got.append(n)


def wave_event(
    kind: str, *, id_at: str = "01T0600", started=T0, count=23, severity=Severity.ORANGE
):
    """An event of the series ``burst/anxin-e/-`` as one daemon saw it."""
    e = make_event(kind)
    alert = replace(
        e.alert,
        id=f"burst/anxin-e/-@202405{id_at}00Z",
        started_at=started,
        severity=severity,
        burst=replace(e.alert.burst, count=count),
    )
    return AlertEvent(e.event, alert)


@pytest.fixture
def peers(redis_server):
    """Two daemons' shared receivers in front of one recording receiver, and that receiver."""
    got = Recording()
    conf = Peers(lease=30)
    logs = [RedisPeerLog(redis_server.client(), "yujing", "t") for _ in range(2)]
    a, b = (SharedReceiver("slack", got, log, conf) for log in logs)
    yield a, b, got
    for log in logs:
        log.close()


def test_a_wave_is_told_once_whichever_daemon_sends_first(peers):
    a, b, got = peers
    a.send(notification(wave_event("firing"), receiver="slack"))
    # The other daemon saw the wave's first posts a bucket later: its own id, its own start.
    late = wave_event("firing", id_at="01T0610", started=T0 + timedelta(minutes=12))
    b.send(notification(late, receiver="slack"))
    assert [n.events[0].id for n in got.got] == ["burst/anxin-e/-@20240501T060000Z"]


def test_a_peer_tells_only_what_goes_further_under_the_first_tellers_id(peers):
    a, b, got = peers
    a.send(notification(wave_event("firing", count=23), receiver="slack"))
    later = T0 + timedelta(minutes=12)
    b.send(
        notification(
            wave_event("updated", id_at="01T0610", started=later, count=20), receiver="slack"
        )
    )
    assert len(got.got) == 1  # fewer posts than already told: nothing new
    b.send(
        notification(
            wave_event("firing", id_at="01T0610", started=later, count=31), receiver="slack"
        )
    )
    (grown,) = got.got[1:]
    event = grown.events[0]
    # The receiver opened this wave already: to it a larger count is a change of that wave.
    assert event.event is EventKind.UPDATED and event.alert.burst.count == 31
    assert event.id == "burst/anxin-e/-@20240501T060000Z" == next(iter(grown.changed))
    assert grown.peers_told == {event.id}
    esc = wave_event("escalated", id_at="01T0610", started=later, count=31, severity=Severity.RED)
    a.send(notification(esc, receiver="slack"))
    assert got.got[-1].events[0].alert.severity is Severity.RED
    for sender in (b, a):
        sender.send(notification(wave_event("resolved"), receiver="slack"))
    ends = [n for n in got.got if n.events[0].event is EventKind.RESOLVED]
    assert len(ends) == 1 and ends[0].events[0].alert.state is AlertState.RESOLVED
    assert len(got.got) == 4


def test_a_new_wave_of_the_series_is_news_again(peers):
    a, b, got = peers
    a.send(notification(wave_event("firing"), receiver="slack"))
    a.send(notification(wave_event("resolved"), receiver="slack"))
    next_day = T0 + timedelta(days=1)
    b.send(notification(wave_event("firing", id_at="02T0600", started=next_day), receiver="slack"))
    assert len(got.got) == 3
    assert got.got[-1].events[0].event is EventKind.FIRING and not got.got[-1].peers_told


def test_while_a_daemon_sends_a_group_its_peer_waits_and_goes_on_when_the_lease_ends(
    redis_server,
):
    got = Recording()
    holder = RedisPeerLog(redis_server.client(), "yujing", "t")
    other = RedisPeerLog(redis_server.client(), "yujing", "t")
    # The holder took the group and died mid-send: its key stays until its lease runs out.
    assert holder.hold("slack", "burst/anxin-e/-", lease=0.3)
    b = SharedReceiver("slack", got, other, Peers(lease=30))
    with pytest.raises(PeerSending):
        b.send(notification(wave_event("firing"), receiver="slack"))
    assert got.got == []
    client = redis_server.client()
    key = "yujing:peers:t:hold:slack:burst/anxin-e/-"
    assert 0 < client.pttl(key) <= 300
    deadline = time.monotonic() + 5
    while client.exists(key) and time.monotonic() < deadline:
        time.sleep(0.05)  # the lease is 0.3 s; Redis expires the key
    b.send(notification(wave_event("firing"), receiver="slack"))
    assert len(got.got) == 1
    assert not client.exists(key)  # released after the send
    holder.close()
    other.close()


def test_a_failed_send_is_not_logged_as_told(peers):
    a, b, got = peers

    class Down:
        def send(self, n: Notification) -> None:
            raise ConnectionError("refused")

    failing = SharedReceiver("slack", Down(), a.peers, a.conf)
    with pytest.raises(ConnectionError):
        failing.send(notification(wave_event("firing"), receiver="slack"))
    b.send(notification(wave_event("firing"), receiver="slack"))  # the peer still tells it
    assert len(got.got) == 1


def test_reminders_are_sent_by_one_daemon_per_repeat_interval(peers):
    a, b, got = peers
    first = wave_event("firing")
    a.send(notification(first, receiver="slack"))

    def reminder(at):
        return notification(
            first,
            receiver="slack",
            changed=frozenset(),
            repeat=True,
            at=at,
            repeat_interval=4 * 3600,
        )

    clock = [1000.0]
    for r in (a, b):
        r.clock = lambda: clock[0]
    a.peers.record("slack", "{}", {}, clock[0])
    clock[0] += 4 * 3600
    a.send(reminder(T0 + timedelta(hours=4)))
    clock[0] += 60
    b.send(reminder(T0 + timedelta(hours=4, minutes=1)))  # its own timer, a minute later
    assert [n.repeat for n in got.got] == [False, True]
    clock[0] += 4 * 3600
    b.send(reminder(T0 + timedelta(hours=8, minutes=1)))  # the other daemon is gone: b reminds
    assert [n.repeat for n in got.got] == [False, True, True]


def test_without_redis_each_daemon_sends_and_says_so_once(caplog):
    got = Recording()
    nobody = RedisPeerLog.connect("redis://127.0.0.1:1/0", "yujing", "t")  # refused
    shared = SharedReceiver("slack", got, nobody, Peers())
    asked = []
    hold = shared.peers.hold
    shared.peers.hold = lambda *a, **k: asked.append(a) or hold(*a, **k)
    clock = [0.0]
    shared.clock = lambda: clock[0]
    with caplog.at_level(logging.WARNING, logger="yujing.notifier"):
        shared.send(notification(wave_event("firing"), receiver="slack"))
        shared.send(notification(wave_event("escalated", severity=Severity.RED), receiver="slack"))
        assert len(asked) == 1  # not asked again at once: each try would wait for Redis
        clock[0] += 31
        shared.send(notification(wave_event("resolved"), receiver="slack"))
    assert len(got.got) == 3 and len(asked) == 2
    warnings = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(warnings) == 1


def test_handling_actions_pass_straight_through(peers):
    a, _, got = peers
    h = Handling("burst/anxin-e/-@20240501T060000Z", Action.ACK, "张三", T0)
    n = notification(wave_event("firing"), receiver="slack", handling=h, changed=frozenset())
    a.send(n)
    assert got.got == [n]


def test_a_daemon_that_died_mid_send_leaves_its_peer_to_tell_the_wave_in_its_name(peers):
    a, b, got = peers

    class DiesMidSend:
        def send(self, n: Notification) -> None:
            got.send(n)  # the message reached the receiver...
            raise SystemExit  # ...and the daemon died before it heard back

    dying = SharedReceiver("slack", DiesMidSend(), a.peers, a.conf)
    with pytest.raises(SystemExit):
        dying.send(notification(wave_event("firing"), receiver="slack"))
    late = wave_event("firing", id_at="01T0610", started=T0 + timedelta(minutes=12))
    b.send(notification(late, receiver="slack"))
    first, again = got.got
    event = again.events[0]
    # Not known to be told: told again, as a first message, under the first sender's id, and
    # the receiver is told a peer may have told it (Slack looks for that message first).
    assert event.event is EventKind.FIRING and event.id == first.events[0].id
    assert again.peers_told == {event.id} and again.changed == {event.id}
    b.send(notification(late, receiver="slack"))  # now it is sure
    assert len(got.got) == 2


def ended(at_minutes: int, **kw) -> AlertEvent:
    e = wave_event("resolved", **kw)
    end = T0 + timedelta(minutes=at_minutes)
    return AlertEvent(e.event, replace(e.alert, resolved_at=end, updated_at=end))


def test_a_new_wave_soon_after_the_end_is_news(peers):
    a, b, got = peers
    a.send(notification(wave_event("firing"), receiver="slack"))
    a.send(notification(ended(40), receiver="slack"))
    # The series fires again ten minutes after its end was told (a 30-minute window).
    again = wave_event("firing", id_at="01T0650", started=T0 + timedelta(minutes=50))
    b.send(notification(again, receiver="slack"))
    kinds = [n.events[0].event for n in got.got]
    assert kinds == [EventKind.FIRING, EventKind.RESOLVED, EventKind.FIRING]
    assert got.got[-1].events[0].id == again.id


def test_a_slow_rise_seen_an_hour_apart_is_still_one_wave(peers):
    a, b, got = peers
    a.send(notification(wave_event("firing"), receiver="slack"))
    # The peer collected late: it saw the rise start 70 minutes after the first teller.
    late = wave_event("firing", id_at="01T0710", started=T0 + timedelta(minutes=70), count=40)
    b.send(notification(late, receiver="slack"))
    assert len(got.got) == 2
    assert got.got[-1].events[0].id == got.got[0].events[0].id  # the same conversation


def test_a_late_copy_of_an_older_wave_never_overwrites_the_newer_one(peers):
    a, b, got = peers
    a.send(notification(wave_event("firing"), receiver="slack"))
    b.send(notification(ended(120), receiver="slack"))
    newer = wave_event("firing", id_at="01T0900", started=T0 + timedelta(hours=3))
    b.send(notification(newer, receiver="slack"))
    assert len(got.got) == 3
    a.send(notification(ended(125), receiver="slack"))  # a's lagging end of the first wave
    a.send(notification(newer, receiver="slack"))  # a's copy of the newer one
    assert len(got.got) == 3


def test_what_a_receiver_was_told_never_goes_down_in_severity(peers):
    a, b, got = peers
    a.send(notification(wave_event("escalated", count=31, severity=Severity.RED), receiver="slack"))
    later = T0 + timedelta(minutes=12)
    grown = wave_event(
        "updated", id_at="01T0610", started=later, count=35, severity=Severity.ORANGE
    )
    b.send(notification(grown, receiver="slack"))
    sent = got.got[-1].events[0]
    assert sent.alert.burst.count == 35 and sent.alert.severity is Severity.RED


def test_an_alert_whose_end_was_told_is_left_out_of_later_messages(peers):
    a, b, got = peers
    claims = wave_event("firing")
    claims = AlertEvent(
        claims.event,
        replace(claims.alert, key="burst/anxin-e/claims", id="burst/anxin-e/claims@20240501T0600Z"),
    )
    claims_end = AlertEvent(
        EventKind.RESOLVED, replace(claims.alert, state=AlertState.RESOLVED, resolved_at=T0)
    )
    a.send(notification(claims, receiver="slack"))
    a.send(notification(claims_end, receiver="slack"))
    # b still has the category firing beside news of the whole product, in one group.
    product = wave_event("firing")
    b.send(notification(product, claims, receiver="slack", changed=frozenset({product.id})))
    last = got.got[-1]
    assert [e.id for e in last.events] == [product.id]


def test_a_reminder_never_follows_the_told_end_of_its_wave(peers):
    a, b, got = peers
    a.send(notification(wave_event("firing"), receiver="slack"))
    a.send(notification(ended(60), receiver="slack"))
    reminder = notification(
        wave_event("firing"),
        receiver="slack",
        changed=frozenset(),
        repeat=True,
        repeat_interval=4 * 3600,
    )
    b.send(reminder)
    assert len(got.got) == 2


def test_a_failure_to_record_after_the_send_does_not_send_it_again(peers):
    a, b, got = peers
    record = a.peers.record

    def gone(*args, **kwargs):
        raise ConnectionError("redis gone after the send")

    a.peers.record = gone
    n = notification(wave_event("firing"), receiver="slack")
    a.send(n)  # sent: the row is done, whatever the log could keep of it
    a.peers.record = record
    assert len(got.got) == 1


def test_a_handling_action_goes_under_the_id_the_receiver_knows(peers):
    a, b, got = peers
    a.send(notification(wave_event("firing"), receiver="slack"))
    late = wave_event("firing", id_at="01T0610", started=T0 + timedelta(minutes=12))
    b.send(notification(late, receiver="slack"))  # dropped: b's store keeps its own id
    h = Handling(late.id, Action.ACK, "张三", T0 + timedelta(minutes=20))
    b.send(notification(late, receiver="slack", handling=h, changed=frozenset()))
    sent = got.got[-1]
    told = "burst/anxin-e/-@20240501T060000Z"
    assert sent.handling.alert_id == told and sent.events[0].id == told
    assert sent.peers_told == {told}


def test_one_series_in_two_differently_keyed_groups_is_still_sent_once(peers):
    a, b, got = peers
    event = wave_event("firing")

    class Slow:
        def send(self, n: Notification) -> None:
            # While a sends, b flushes its copy, grouped under labels of its own.
            with pytest.raises(PeerSending):
                b.send(notification(event, receiver="slack", group_key='{categories="理赔,服务"}'))
            got.send(n)

    slow = SharedReceiver("slack", Slow(), a.peers, a.conf)
    slow.send(notification(event, receiver="slack", group_key='{categories="理赔"}'))
    b.send(notification(event, receiver="slack", group_key='{categories="理赔,服务"}'))
    assert len(got.got) == 1


def test_waiting_for_a_peer_is_no_failed_attempt(store):
    class PeerThenDown:
        def __init__(self) -> None:
            self.calls = 0

        def send(self, n: Notification) -> None:
            self.calls += 1
            if self.calls <= 30:  # a dead peer's lease, tried every 2 s
                raise PeerSending("a peer holds it", 2.0)
            raise ConnectionError("slack 500")

    notifier = Notifier(make_config(), store, {"r": PeerThenDown()}, clock=lambda: T0)
    store.outbox.enqueue("r", notification(wave_event("firing"), receiver="r").to_dict(), T0)
    now = T0
    for _ in range(31):
        report = notifier.deliver_due(now)
        now += timedelta(seconds=2)
    (item,) = store.outbox.queue("r", 10)
    assert (item.attempts, report.failed) == (1, 1)  # the 500 is the first real failure
    assert item.next_attempt_at - (now - timedelta(seconds=2)) == timedelta(seconds=5)


def test_a_silence_added_on_either_daemon_mutes_on_both(tmp_path, redis_server):
    from yujing.alerts import Silence
    from yujing.store import Store

    config = make_config(redis={"url": redis_server.url}, notify={"peers": {"lease": "30s"}})
    stores = [Store(tmp_path / f"{n}.db") for n in ("a", "b")]
    a, b = (Notifier(config, s) for s in stores)
    now = datetime.now(UTC).replace(microsecond=0)  # kept to the second
    quiet = Silence(("product=anxin-e",), now, now + timedelta(hours=2), "张三", "已知问题，处理中")
    quiet = replace(quiet, id=stores[0].silences.add(quiet))

    def share(*notifiers: Notifier) -> None:
        for n in notifiers:
            asyncio.run(n.share_silences())

    share(a, b)
    (there,) = stores[1].silences.active(now)
    assert there == quiet
    assert stores[1].silences.expire(quiet.id, now + timedelta(minutes=5))
    share(b, a)
    assert stores[0].silences.active(now + timedelta(minutes=6)) == []
    (ended,) = stores[0].silences.all()
    assert ended.ends_at == now + timedelta(minutes=5)
    for n, s in zip((a, b), stores, strict=True):
        n.close()
        s.close()
