"""Durable delivery, as Alertmanager's dispatcher and notification pipeline, on the store.

``submit`` routes an event and puts it in its receivers' aggregation groups (``stages``: route,
group); it only writes rows, in the caller's transaction. ``flush`` looks at the groups whose
timer ran out (``group_wait`` after a group's first event, then every ``group_interval``): their
alerts pass inhibit, silence and dedup, and a group with news (or due a reminder after
``repeat_interval``) becomes one notification, an outbox row, in one transaction with the group's
new state. ``deliver_due`` flushes, then sends what the outbox holds and schedules failures again
with exponential backoff, so a crash or an unreachable service loses nothing. Each receiver gets
its notifications in the order they were written: a "resolved" never overtakes its "firing".

Time is passed in (``now``) or read from ``clock``, so tests drive the timers without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from yujing.alerts import Alert, AlertEvent, EventKind
from yujing.config import Config
from yujing.records import utcnow
from yujing.store import GroupRow, OutboxItem, Store

from .notification import Notification
from .peers import PeerSending, SharedReceiver, merge_silences
from .receivers import Receiver, RetryLater, build_receivers
from .stages import (
    FiringAlerts,
    Group,
    Notice,
    Silences,
    flush_stages,
    intake_stages,
    no_silences,
    run,
)

if TYPE_CHECKING:  # redis is imported only when peers are set
    from .peers_redis import RedisPeerLog

__all__ = ["Notifier", "DeliveryReport", "backoff"]

log = logging.getLogger("yujing.notifier")

BASE_DELAY = 5.0
LOCAL_KINDS = ("log", "file")  # receivers whose output stays on this machine


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int
    failed: int


def no_alerts() -> Iterable[Alert]:
    return ()


def backoff(attempts: int, cap: float) -> float:
    """Seconds before the next try after ``attempts`` earlier failures: 5, 10, 20, ... <= cap."""
    return min(BASE_DELAY * 2 ** min(attempts, 32), cap)


class Notifier:
    def __init__(
        self,
        config: Config,
        store: Store,
        receivers: dict[str, Receiver] | None = None,
        *,
        firing: FiringAlerts = no_alerts,
        silences: Silences = no_silences,
        clock: Callable[[], datetime] = utcnow,
    ):
        """``store`` is the ``yujing.store.Store`` (its outbox, groups and notification log).
        ``firing`` returns the alerts firing now, the sources of ``inhibit_rules``: without
        it nothing is inhibited. ``silences`` returns the silences."""
        self.config = config
        self.store = store
        self.outbox = store.outbox
        self.firing = firing
        self.silences = silences
        self.clock = clock
        # Built lazily: a receiver's client (Slack, Elasticsearch) is only needed to deliver.
        self._receivers = receivers
        self._unknown_logged: set[str] = set()
        self._peer_log: RedisPeerLog | None = None
        self._silences_unshared = False

    @property
    def receivers(self) -> dict[str, Receiver]:
        if self._receivers is None:
            self._receivers = self._shared(build_receivers(self.config))
        return self._receivers

    def _shared(self, receivers: dict[str, Receiver]) -> dict[str, Receiver]:
        """With ``notify.peers``, each receiver that leaves this machine goes behind the log
        the peers share; the log and file receivers keep this daemon's own record."""
        conf = self.config.notify.peers
        if conf is None:
            return receivers
        local = {r.name for r in self.config.notify.receivers if r.type in LOCAL_KINDS}
        return {
            name: r if name in local else SharedReceiver(name, r, self._peers(), conf)
            for name, r in receivers.items()
        }

    def _peers(self) -> RedisPeerLog:
        """The log the peers share (``notify.peers``), connected on first use."""
        if self._peer_log is None:
            from .peers_redis import RedisPeerLog  # redis is imported only when peers are set

            self._peer_log = RedisPeerLog.from_config(self.config)
        return self._peer_log

    async def share_silences(self) -> None:
        """With ``notify.peers``: this store's silences and the peers' made one set, so a
        silence added on either daemon mutes on both (as Alertmanager's instances share
        theirs). Redis is asked off the event loop; the store is used on it."""
        if self.config.notify.peers is None:
            return
        peers = self._peers()
        try:
            shared = await asyncio.to_thread(peers.silences)
            keep, share = merge_silences(self.store.silences.all(), shared)
            if keep:
                with self.store.transaction():
                    for silence in keep:
                        self.store.silences.merge(silence)
            if share:
                await asyncio.to_thread(peers.share_silences, share, time.time())
        except Exception as exc:  # kept here; shared when Redis answers again
            if not self._silences_unshared:
                log.warning(
                    "silences not shared with peer daemons: %s: %s", type(exc).__name__, exc
                )
            self._silences_unshared = True
            return
        if self._silences_unshared:
            log.info("silences shared with peer daemons again")
        self._silences_unshared = False

    def close(self) -> None:
        """Release the receivers' connections (a config reload builds new ones)."""
        for receiver in (self._receivers or {}).values():
            close = getattr(receiver, "close", None)
            if close is not None:
                close()
        if self._peer_log is not None:
            self._peer_log.close()

    def submit(self, event: AlertEvent, now: datetime | None = None) -> list[Notice]:
        """Put ``event`` in the group of each receiver it routes to; returns one notice per
        receiver (its ``group`` says which). Call it inside the transaction that stores the
        alert: the event is then kept if and only if the alert is."""
        stages = intake_stages(self.config.notify, self.store.groups, now or self.clock())
        return run(stages, [Notice(event)])

    def flush(self, now: datetime | None = None) -> int:
        """Look at every group whose timer has run out; returns the notifications queued.
        Each group commits on its own: the outbox row and the group's new state together."""
        now = now or self.clock()
        queued = 0
        for group in self.store.groups.due(now):
            with self.store.transaction():
                queued += self._flush(group, now)
        return queued

    def _flush(self, row: GroupRow, now: datetime) -> int:
        repeat_at = (row.notified_at or now) + timedelta(seconds=row.repeat_interval)
        due = row.notified_at is not None and now >= repeat_at
        group = Group(row.key, row.labels, due, row.repeat_interval)
        notices, gone = [], set()
        for member in self.store.groups.members(row.receiver, row.key):
            try:
                event = AlertEvent.from_dict(member.payload)
            except (KeyError, TypeError, ValueError):
                log.error(
                    "group %s of %s: unreadable alert %s dropped",
                    row.key,
                    row.receiver,
                    member.alert_id,
                )
                gone.add(member.alert_id)
                continue
            if event.event is EventKind.RESOLVED:
                gone.add(event.id)  # told now, or never to be told: either way its end
            notices.append(Notice(event, receiver=row.receiver, group=group))
        stages = flush_stages(self.config.notify, self.store, self.firing, self.silences, now)
        out = run(stages, notices)
        told = {n.event.id for n in out if n.fresh}
        self.store.groups.flushed(row, now, notified=bool(out), told=told, gone=gone)
        return 1 if out else 0

    def _queues(self, now: datetime, limit: int) -> list[tuple[str, Receiver, list[OutboxItem]]]:
        """Per receiver, its due rows in order, up to the first row still waiting for a retry.

        Each receiver is read on its own, so one dead service with a long backlog never holds
        up the others; within a receiver a "resolved" never overtakes its "firing".
        """
        queues = []
        for name in self.outbox.receivers_waiting():
            receiver = self.receivers.get(name)
            if receiver is None:
                if name not in self._unknown_logged:
                    self._unknown_logged.add(name)
                    log.warning("no receiver named %r (config changed?); keeping its alerts", name)
                continue
            items = self.outbox.due_in_order(name, now, limit)
            if items:
                queues.append((name, receiver, items))
        return queues

    def deliver_due(self, now: datetime | None = None, limit: int = 1000) -> DeliveryReport:
        """Flush the groups due, then send what is due, here and now, each send in this thread
        (for the CLI and tests)."""

        async def send_here(receiver: Receiver, notification: Notification) -> None:
            receiver.send(notification)

        now = now or self.clock()
        self.flush(now)
        return asyncio.run(self._deliver(now, limit, send_here))

    async def deliver_due_async(
        self, now: datetime | None = None, limit: int = 1000
    ) -> DeliveryReport:
        """Like ``deliver_due``, but the network call runs in a worker thread.

        Only the send leaves the event loop; the flush and the outbox bookkeeping stay on the
        loop's thread, so crawls are never stalled by a slow chat service and the store is used
        from one thread.
        """

        async def send_in_thread(receiver: Receiver, notification: Notification) -> None:
            await asyncio.to_thread(receiver.send, notification)

        now = now or self.clock()
        self.flush(now)
        return await self._deliver(now, limit, send_in_thread)

    async def _deliver(
        self,
        now: datetime,
        limit: int,
        send: Callable[[Receiver, Notification], Awaitable[None]],
    ) -> DeliveryReport:
        sent = failed = 0
        for name, receiver, items in self._queues(now, limit):
            for item in items:
                notification = self._readable(name, item)
                if notification is None:
                    continue
                try:
                    await send(receiver, notification)
                except PeerSending as exc:  # a wait, not a failure: no attempt counted
                    self.outbox.postpone(item.id, now + timedelta(seconds=exc.retry_after))
                    break  # keep order: the rest waits for this one
                except Exception as exc:  # any failure is retried; the error is kept on the row
                    self._failed(name, item, exc, now)
                    failed += 1
                    break  # keep order: the rest waits for this one
                self.outbox.delivered(item.id)
                sent += 1
                if item.attempts:
                    log.info(
                        "delivered %s to %s after %d failed attempts",
                        notification.group_key,
                        name,
                        item.attempts,
                        extra={"receiver": name, "group": notification.group_key},
                    )
        return DeliveryReport(sent, failed)

    def _readable(self, name: str, item: OutboxItem) -> Notification | None:
        """The row's notification; a row that is none (damaged, or from a foreign writer) is set
        aside with its reason, so it neither blocks the receiver's queue nor is retried for ever."""
        try:
            return Notification.from_dict(item.payload, receiver=name)
        except (KeyError, TypeError, ValueError) as exc:
            reason = f"unreadable notification ({type(exc).__name__}: {exc})"
            log.error("outbox row %d for %s set aside: %s", item.id, name, reason)
            self.outbox.give_up(item.id, reason)
            return None

    def _failed(self, name: str, item: OutboxItem, exc: Exception, now: datetime) -> None:
        if isinstance(exc, RetryLater):
            delay = exc.retry_after
        else:
            delay = backoff(item.attempts, self.config.notify.retry_max)
        error = f"{type(exc).__name__}: {exc}"
        self.outbox.failed(item.id, error, now + timedelta(seconds=delay))
        # Logged once, at the first failure: the retries of an outage would repeat it every
        # few seconds. Later attempts are DEBUG; the row's last_error, `yujing status` and
        # /metrics keep the current state; a late success is logged too.
        log.log(
            logging.WARNING if item.attempts == 0 else logging.DEBUG,
            "delivering %s to %s failed (attempt %d, next in %.0fs): %s",
            item.payload.get("group_key") or item.payload.get("id"),
            name,
            item.attempts + 1,
            delay,
            error,
            extra={"receiver": name, "group": item.payload.get("group_key")},
        )
