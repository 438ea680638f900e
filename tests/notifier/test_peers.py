"""Peers: two daemons, each with its own store, decide through a real Redis what they send.

Each "daemon" here is a ``SharedReceiver`` of its own, with its own ``RedisPeerLog`` (its own
connection and holder id), in front of one receiver that records what reaches it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from yujing.alerts import Action, AlertEvent, AlertState, EventKind, Handling, Severity
from yujing.config import Peers
from yujing.notifier.notification import Notification
from yujing.notifier.peers import PeerSending, SharedReceiver
from yujing.notifier.peers_redis import RedisPeerLog

from .conftest import T0, make_event, notification


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
    conf = Peers(lease=30, same_wave_within=3600)
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
    assert holder.hold("slack", "{}", lease=0.3)
    b = SharedReceiver("slack", got, other, Peers(lease=30))
    with pytest.raises(PeerSending):
        b.send(notification(wave_event("firing"), receiver="slack"))
    assert got.got == []
    client = redis_server.client()
    key = "yujing:peers:t:hold:slack:{}"
    assert 0 < client.pttl(key) <= 300
    while client.exists(key):
        pass  # the lease is 0.3 s; Redis expires the key
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
