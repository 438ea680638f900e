"""Peers: daemons side by side for availability, one notification log between them.

Each daemon collects, detects and queues on its own store; before a notification leaves, the
log the peers share (``PeerLog``, in Redis) decides whether it still tells the receiver anything,
as Alertmanager's instances share theirs. Per receiver and alert series (an alert's key) the log
keeps the latest wave told (``Told``): its id, start, the highest severity and count told, and
when its end was told. A peer's queued copy of the same news is dropped; only what goes further
(a higher count or severity, the end) is sent, under the first teller's id and never below the
severity told, so a receiver that edits what it sent (a Slack message, an Elasticsearch
document) goes on with the same conversation.

Which wave an event is of: a series has one wave open at a time. An event with the told wave's
id is of it; so is any event of the series while that wave is open, and, once its end was told,
any event of a wave that began before that end (a peer's lagging copy). An event of a wave that
began before the told wave's predecessor ended is older than what the receiver knows, and is
dropped. The detector names a wave after its onset in the posts, so peers that collected the
same posts mostly agree on the id; the rules above cover the rest.

While a daemon sends, it holds each series of the notification (a Redis key with a lease); a
peer meanwhile waits, without counting it as a failure. Before a send that opens a wave, the
wave is written as not sure; if the sender dies, the lease runs out and the peer, whose outbox
holds the same news, tells it again in the wave's name (Slack looks for the message first). If
Redis cannot be reached the daemon sends anyway: better a copy than a missed wave; it asks again
after ``ASK_AGAIN`` seconds. Silences are shared too (``merge_silences``): one added on either
daemon mutes on both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Protocol

from yujing.alerts import AlertEvent, EventKind, Severity, Silence
from yujing.config import Peers

from .notification import Notification
from .receivers import Receiver, RetryLater

__all__ = ["PeerLog", "PeerSending", "SharedReceiver", "Told", "Wave", "merge_silences"]

log = logging.getLogger("yujing.notifier")

WAIT_FOR_PEER = 2.0  # seconds before trying a series a peer holds again
ASK_AGAIN = 30.0  # seconds without asking an unreachable log again


class PeerSending(RetryLater):
    """A peer daemon is sending this now; try again shortly (a wait, not a failure)."""


class Wave(Enum):
    """Which wave an event is of, beside the one the log holds."""

    SAME = "same"
    OLDER = "older"  # the receiver has moved past it
    NEWER = "newer"  # a wave after the told one ended


def _count(event: AlertEvent) -> int:
    return event.alert.burst.count if event.alert.burst is not None else 0


def _end(event: AlertEvent) -> float | None:
    """When the wave ended, by the alert's own clock, if ``event`` is its end."""
    if event.event is not EventKind.RESOLVED:
        return None
    return (event.alert.resolved_at or event.alert.updated_at).timestamp()


@dataclass(frozen=True, slots=True)
class Told:
    """What the peers have told one receiver of the latest wave of an alert series."""

    id: str  # the wave's alert id, as first told
    started: float  # when the wave began (epoch seconds), as its first teller saw it
    severity: int  # the highest severity rank told
    peak: int  # the highest count told (0 for alerts without counts)
    ended_at: float | None = None  # when it ended (its end was told); None while it is open
    before: float = 0.0  # when the series' previous told wave ended
    # False while a send that began is not known to have ended: its sender may have died with
    # the message delivered or not. A peer then tells it again, as the first teller would
    # have, and a receiver that can look (Slack) looks for the message first.
    sure: bool = True

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def wave_of(self, event: AlertEvent) -> Wave:
        if event.id == self.id:
            return Wave.SAME
        began = event.alert.started_at.timestamp()
        if began <= self.before:
            return Wave.OLDER
        if self.ended_at is None or began <= self.ended_at:
            return Wave.SAME
        return Wave.NEWER

    def news(self, event: AlertEvent) -> bool:
        """Whether ``event`` (of this wave) tells the receiver more than it was told."""
        if not self.sure:
            return True
        if self.ended:
            return False
        if event.event is EventKind.RESOLVED:
            return True
        return event.alert.severity.rank > self.severity or _count(event) > self.peak

    def as_told(self, event: AlertEvent) -> AlertEvent:
        """``event`` under this wave's id, at no lower a severity than was told."""
        severity = max(event.alert.severity, list(Severity)[self.severity], key=_rank)
        if event.id == self.id and severity is event.alert.severity:
            return event
        return AlertEvent(event.event, replace(event.alert, id=self.id, severity=severity))

    def after(self, event: AlertEvent) -> Told:
        if not self.sure:
            return Told.first(event, self.before)
        return replace(
            self,
            severity=max(self.severity, event.alert.severity.rank),
            peak=max(self.peak, _count(event)),
            ended_at=_end(event) or self.ended_at,
        )

    @classmethod
    def first(cls, event: AlertEvent, before: float = 0.0) -> Told:
        a = event.alert
        return cls(
            a.id, a.started_at.timestamp(), a.severity.rank, _count(event), _end(event), before
        )


def _rank(severity: Severity) -> int:
    return severity.rank


class PeerLog(Protocol):
    """The notification log the peers share."""

    def hold(self, receiver: str, series: str, lease: float) -> bool:
        """Take the series for ``lease`` seconds; False while a peer holds it."""
        ...

    def release(self, receiver: str, series: str) -> None: ...

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


@dataclass
class _Plan:
    """A notification as the log says it is to be sent."""

    events: list[AlertEvent]
    changed: set[str]
    peers_told: set[str]
    after: dict[str, Told]  # series -> its wave once sent
    opening: dict[str, Told]  # series -> the wave the send opens (not sure until it is sent)


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
        self._down_until = 0.0
        self._down = False

    def close(self) -> None:
        close = getattr(self.receiver, "close", None)
        if close is not None:
            close()

    def send(self, notification: Notification) -> None:
        if self.clock() < self._down_until:
            self.receiver.send(notification)  # not asking again yet: each call would wait
            return
        if notification.handling is not None:
            try:
                notification = self._handling(notification)
            except Exception as exc:
                self._cannot_share(exc)
            self.receiver.send(notification)
            return
        try:
            held = self._hold(notification)
        except PeerSending:
            raise
        except Exception as exc:  # Redis down: each daemon sends on its own
            self._cannot_share(exc)
            self.receiver.send(notification)
            return
        try:
            self._send_held(notification)
        finally:
            self._release(held)

    # -- holding the series a notification is about

    def _hold(self, n: Notification) -> list[str]:
        """Hold every series of ``n``, or none (``PeerSending`` while a peer holds one)."""
        held: list[str] = []
        try:
            for series in sorted({e.alert.key for e in n.events}):
                if not self.peers.hold(self.name, series, self.conf.lease):
                    raise PeerSending(
                        f"a peer daemon is sending {series} to {self.name}", WAIT_FOR_PEER
                    )
                held.append(series)
        except BaseException:
            self._release(held)  # none held, not some: a peer must not wait out the lease
            raise
        return held

    def _release(self, held: list[str]) -> None:
        for series in held:
            try:
                self.peers.release(self.name, series)
            except Exception:  # the lease ends it anyway
                log.debug("could not release %s of %s", series, self.name, exc_info=True)

    # -- deciding

    def _send_held(self, n: Notification) -> None:
        now = self.clock()
        plan = self._plan(n, self.peers.waves(self.name, {e.alert.key for e in n.events}))
        self._shared_again()
        repeat = (
            n.repeat
            and any(e.event is not EventKind.RESOLVED for e in plan.events)
            and self._repeat_due(n, now)
        )
        if not plan.changed and not repeat:
            log.debug("%s: group %s already told by a peer", self.name, n.group_key)
            return
        if plan.opening:
            self.peers.sending(self.name, plan.opening)
        self.receiver.send(
            replace(
                n,
                events=tuple(plan.events),
                changed=frozenset(plan.changed),
                repeat=not plan.changed,
                peers_told=frozenset(plan.peers_told),
            )
        )
        try:
            self.peers.record(self.name, n.group_key, plan.after, now)
        except Exception as exc:  # sent all the same: a retry would send it twice
            self._cannot_share(exc)

    def _plan(self, n: Notification, told: dict[str, Told]) -> _Plan:
        plan = _Plan([], set(), set(), {}, {})
        for event in n.events:
            key = event.alert.key
            known = told.get(key)
            wave = known.wave_of(event) if known is not None else Wave.NEWER
            fresh = event.id in n.changed
            if wave is Wave.OLDER:
                continue  # a wave the receiver has moved past: not even as context
            if known is not None and wave is Wave.SAME:
                if known.ended and known.sure:
                    continue  # its end was told: nothing more of it
                event = known.as_told(event)
                plan.peers_told.add(known.id)
                fresh = fresh and known.news(event)
                if fresh and known.sure and event.event is EventKind.FIRING:
                    # The receiver opened this wave already: for it this is a change.
                    event = AlertEvent(EventKind.UPDATED, event.alert)
                if fresh:
                    plan.after[key] = known.after(event)
                    if not known.sure:
                        plan.opening[key] = known
            elif fresh:
                # No peer told it (or the log forgot): this daemon's own log vouches for it.
                before = known.ended_at if known is not None and known.ended_at else 0.0
                plan.after[key] = Told.first(event, before)
                plan.opening[key] = replace(plan.after[key], sure=False)
            if fresh:
                plan.changed.add(event.id)
            plan.events.append(event)
        return plan

    def _handling(self, n: Notification) -> Notification:
        """A person's action (taken on this daemon, sent by it alone), under the wave's id as
        the receiver knows it."""
        if not n.events or n.handling is None:
            return n
        event = n.events[0]
        known = self.peers.waves(self.name, [event.alert.key]).get(event.alert.key)
        if known is None or known.wave_of(event) is not Wave.SAME:
            return n
        return replace(
            n,
            events=(known.as_told(event), *n.events[1:]),
            handling=replace(n.handling, alert_id=known.id),
            peers_told=frozenset({known.id}),
        )

    def _repeat_due(self, n: Notification, now: float) -> bool:
        last = self.peers.group_told_at(self.name, n.group_key)
        return last is None or now - last >= n.repeat_interval

    # -- when Redis cannot be reached

    def _cannot_share(self, exc: Exception) -> None:
        self._down_until = self.clock() + ASK_AGAIN
        if not self._down:
            self._down = True
            log.warning(
                "%s: the peers' notification log cannot be reached (%s: %s); sending without "
                "it, so a peer may send the same",
                self.name,
                type(exc).__name__,
                exc,
            )

    def _shared_again(self) -> None:
        if self._down:
            self._down = False
            log.info("%s: the peers' notification log is reachable again", self.name)


def merge_silences(
    here: Iterable[Silence], shared: Mapping[str, Silence]
) -> tuple[list[Silence], list[Silence]]:
    """What each side lacks, as (to keep here, to share). The peers' silences are one set, by
    id: a silence added on either daemon mutes on both. Where the two sides differ the earlier
    end wins, since expiring a silence is the only change made to one."""
    mine = {s.id: s for s in here}
    keep = [s for sid, s in shared.items() if sid not in mine or s.ends_at < mine[sid].ends_at]
    share = [s for sid, s in mine.items() if sid not in shared or s.ends_at < shared[sid].ends_at]
    return keep, share
