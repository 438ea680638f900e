"""Peers: daemons side by side for availability, one notification log between them.

Each daemon collects, detects and queues on its own store; before a notification leaves, the
log the peers share (``PeerLog``, in Redis) decides whether it still tells the receiver anything,
as Alertmanager's instances share theirs. What a receiver was told is kept per alert series and
wave (``Told``: the wave's id and start, the highest severity and count told, whether its end
was told), so a peer's queued copy of the same news is dropped and only what goes further
(a higher count, a higher severity, the end) is sent.

A wave is recognised by its id, which the detector derives from the posts, or, for peers that
saw its first posts a little apart, by a start within ``same_wave_within``; the message then
carries the first teller's id, so a receiver that edits what it sent (a Slack message, an
Elasticsearch document) goes on with the same conversation.

While a daemon sends one group's notification it holds that group (a Redis key with a lease);
a peer meanwhile waits. If the holder dies, the lease runs out and the peer, whose outbox holds
the same news, sends it: none is lost. If Redis cannot be reached the daemon sends anyway:
better a copy than a missed wave (it asks again after ``ASK_AGAIN`` seconds).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from yujing.alerts import AlertEvent, EventKind
from yujing.config import Peers

from .notification import Notification
from .receivers import Receiver, RetryLater

__all__ = ["PeerLog", "PeerSending", "SharedReceiver", "Told"]

log = logging.getLogger("yujing.notifier")

WAIT_FOR_PEER = 2.0  # seconds before trying a group a peer holds again
ASK_AGAIN = 30.0  # seconds without asking an unreachable log again


class PeerSending(RetryLater):
    """A peer daemon is sending this group now; try again shortly (not a failure)."""


@dataclass(frozen=True, slots=True)
class Told:
    """What the peers have told one receiver of one wave of an alert series."""

    id: str  # the wave's alert id, as first told
    started: float  # the wave's start (epoch seconds)
    severity: int  # the highest severity rank told
    peak: int  # the highest count told (0 for alerts without counts)
    ended: bool  # its end was told
    # False while a send that began is not known to have ended: its sender may have died with
    # the message delivered or not. A peer then tells it again, as the first teller would
    # have, and a receiver that can look (Slack) looks for the message first.
    sure: bool = True

    def same_wave(self, event: AlertEvent, within: float) -> bool:
        return event.id == self.id or abs(event.alert.started_at.timestamp() - self.started) <= (
            within
        )

    def news(self, event: AlertEvent) -> bool:
        """Whether ``event`` (of this wave) tells the receiver more than it was told."""
        if not self.sure:
            return True
        if self.ended:
            return False
        if event.event is EventKind.RESOLVED:
            return True
        return event.alert.severity.rank > self.severity or _count(event) > self.peak

    def after(self, event: AlertEvent) -> Told:
        if not self.sure:
            return Told.first(event)
        return Told(
            self.id,
            self.started,
            max(self.severity, event.alert.severity.rank),
            max(self.peak, _count(event)),
            self.ended or event.event is EventKind.RESOLVED,
        )

    @classmethod
    def first(cls, event: AlertEvent) -> Told:
        a = event.alert
        return cls(
            a.id,
            a.started_at.timestamp(),
            a.severity.rank,
            _count(event),
            event.event is EventKind.RESOLVED,
        )


def _count(event: AlertEvent) -> int:
    return event.alert.burst.count if event.alert.burst is not None else 0


class PeerLog(Protocol):
    """The notification log the peers share."""

    def hold(self, receiver: str, group: str, lease: float) -> bool:
        """Take the group for ``lease`` seconds; False while a peer holds it."""
        ...

    def release(self, receiver: str, group: str) -> None: ...

    def waves(self, receiver: str, series: Iterable[str]) -> dict[str, Told]:
        """The latest wave told to ``receiver`` of each alert series (alert key) known."""
        ...

    def group_told_at(self, receiver: str, group: str) -> float | None: ...

    def sending(self, receiver: str, told: dict[str, Told]) -> None:
        """Before a send: the waves it opens, as not yet sure (``Told.sure``)."""
        ...

    def record(self, receiver: str, group: str, told: dict[str, Told], at: float) -> None:
        """After a send: the waves as now told (by series) and when the group was told."""
        ...


class SharedReceiver:
    """A receiver behind the peers' log: sends only what no peer has told it."""

    def __init__(
        self,
        name: str,
        receiver: Receiver,
        peers: PeerLog,
        conf: Peers,
        clock: Callable[[], float] = time.time,
    ):
        self.name = name
        self.receiver = receiver
        self.peers = peers
        self.conf = conf
        self.clock = clock
        self._unreachable = False
        self._down_until = 0.0

    def close(self) -> None:
        close = getattr(self.receiver, "close", None)
        if close is not None:
            close()

    def send(self, notification: Notification) -> None:
        if notification.handling is not None:
            # A person's action is taken on one daemon, through its own store: only it sends.
            self.receiver.send(notification)
            return
        group = notification.group_key
        if self.clock() < self._down_until:
            self.receiver.send(notification)  # not asking again yet: each call would wait
            return
        try:
            held = self.peers.hold(self.name, group, self.conf.lease)
        except Exception as exc:  # Redis down: each daemon sends on its own
            self._cannot_share(exc)
            self.receiver.send(notification)
            return
        if not held:
            raise PeerSending(
                f"a peer daemon is sending group {group} to {self.name}", WAIT_FOR_PEER
            )
        try:
            self._send_held(notification)
        finally:
            try:
                self.peers.release(self.name, group)
            except Exception:  # the lease ends it anyway
                log.debug("could not release group %s of %s", group, self.name, exc_info=True)

    def _send_held(self, n: Notification) -> None:
        now = self.clock()
        told = self.peers.waves(self.name, {e.alert.key for e in n.events})
        self._unreachable = False
        events, changed, peers_told = [], set(), set()
        after: dict[str, Told] = {}
        opening: dict[str, Told] = {}  # waves this send opens for the receiver
        for event in n.events:
            known = told.get(event.alert.key)
            fresh = event.id in n.changed
            if known is not None and known.same_wave(event, self.conf.same_wave_within):
                if event.id != known.id:
                    event = AlertEvent(event.event, replace(event.alert, id=known.id))
                peers_told.add(known.id)
                fresh = fresh and known.news(event)
                if fresh and event.event is EventKind.FIRING and known.sure:
                    # The receiver opened this wave already: for it this is a change.
                    event = AlertEvent(EventKind.UPDATED, event.alert)
                if fresh:
                    after[event.alert.key] = known.after(event)
                    if not known.sure:
                        opening[event.alert.key] = replace(known, sure=False)
            elif fresh:
                # No peer told it (or the log forgot): this daemon's own log vouches for it.
                after[event.alert.key] = Told.first(event)
                opening[event.alert.key] = replace(Told.first(event), sure=False)
            if fresh:
                changed.add(event.id)
            events.append(event)
        repeat = n.repeat and self._repeat_due(n, now)
        if not changed and not repeat:
            log.debug("%s: group %s already told by a peer", self.name, n.group_key)
            return
        if opening:
            self.peers.sending(self.name, opening)
        self.receiver.send(
            replace(
                n,
                events=tuple(events),
                changed=frozenset(changed),
                repeat=not changed,
                peers_told=frozenset(peers_told),
            )
        )
        self.peers.record(self.name, n.group_key, after, now)

    def _repeat_due(self, n: Notification, now: float) -> bool:
        last = self.peers.group_told_at(self.name, n.group_key)
        return last is None or now - last >= n.repeat_interval

    def _cannot_share(self, exc: Exception) -> None:
        self._down_until = self.clock() + ASK_AGAIN
        if not self._unreachable:
            self._unreachable = True
            log.warning(
                "%s: the peers' notification log cannot be reached (%s: %s); sending without "
                "it, so a peer may send the same",
                self.name,
                type(exc).__name__,
                exc,
            )
