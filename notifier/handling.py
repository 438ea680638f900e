"""Telling receivers what a person did about an alert ("张三 已确认").

A handling action goes, as a notification of its own, to every receiver that was told of the
alert (the notification log says which): the people who saw the alert see who took it. It is
queued at once, without group timers: it is a person's word, not a change of the wave.
"""

from __future__ import annotations

from yujing.alerts import Alert, AlertEvent, EventKind, Handling
from yujing.store import Store

from .notification import Notification
from .stages import group_key

__all__ = ["tell_handling"]


def tell_handling(
    store: Store, handling: Handling, alert: Alert, *, false_alarm: str | None = None
) -> list[str]:
    """Queue ``handling`` for the receivers told of ``alert`` (``store``: its ``notified`` log
    and ``outbox``); returns their names. Call it in the transaction that keeps the action.
    ``false_alarm``: the alert is resolved as a false alarm, for this reason."""
    kind = EventKind.FIRING if alert.firing else EventKind.RESOLVED
    event = AlertEvent(kind, alert)
    receivers = store.notified.receivers(alert.id)
    for receiver in receivers:
        labels = {"product": alert.product} if alert.product else {}
        notification = Notification(
            receiver,
            group_key(labels),
            labels,
            (event,),
            handling=handling,
            false_alarm=false_alarm,
            at=handling.at,
        )
        store.outbox.enqueue(receiver, notification.to_dict(), handling.at)
    return receivers
