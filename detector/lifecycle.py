"""The lifecycle of alerts: which change of an alert is an event, and which waves are open.

The daemon's pipeline and ``yujing replay`` share it, so replay prints the events the daemon
names (and journals); which of them reach a receiver is then the notifier's routing and
inhibition.

Naming is apart from remembering: the pipeline names events inside its store transaction and
applies them only once that has committed.
"""

from __future__ import annotations

from collections.abc import Iterable

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind

__all__ = ["Lifecycle", "event_kind"]


def event_kind(alert: Alert, previous: Alert | None) -> EventKind:
    """What ``alert`` is, given the open alert of its series before it (if any)."""
    if alert.state is AlertState.RESOLVED:
        return EventKind.RESOLVED
    if previous is None or previous.id != alert.id:
        return EventKind.FIRING
    if alert.severity.rank > previous.severity.rank:
        return EventKind.ESCALATED
    return EventKind.UPDATED


class Lifecycle:
    """The open (firing) alerts by series key, and the events the next alerts make."""

    def __init__(self, firing: Iterable[Alert] = ()):
        self.firing: dict[str, Alert] = {a.key: a for a in firing}

    def name(self, alerts: Iterable[Alert]) -> list[AlertEvent]:
        """Events for ``alerts`` in order, as if each were applied before the next."""
        seen = dict(self.firing)
        events = []
        for alert in alerts:
            events.append(AlertEvent(event_kind(alert, seen.get(alert.key)), alert))
            if alert.firing:
                seen[alert.key] = alert
            else:
                seen.pop(alert.key, None)
        return events

    def apply(self, events: Iterable[AlertEvent]) -> None:
        for e in events:
            if e.alert.firing:
                self.firing[e.alert.key] = e.alert
            else:
                self.firing.pop(e.alert.key, None)

    def products(self) -> set[str]:
        """Products with an open alert: they are evaluated even when no new post names them."""
        return {a.product for a in self.firing.values()}
