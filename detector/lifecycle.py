"""The lifecycle of alerts: which change of an alert is worth a message, and which are open.

The detector hands back an alert whenever a wave grows or changes; most of those are not news to
a PR team. An event is emitted on a material change only:

* the first firing of a wave;
* a higher severity (``escalated``);
* a count that at least doubled since the last event (``updated``);
* the resolution.

Every alert is still stored, so ``status`` and the alert index always show the latest numbers.
What was last told is kept on the alert itself (annotations ``told_count``, ``told_severity``),
so a restart carries it on and does not repeat or skip an update.

The daemon's pipeline and ``yujing replay`` share this, so replay prints the events the daemon
names (and journals); which of them reach a receiver is then the notifier's routing and
inhibition.

Naming is apart from remembering: the pipeline names changes inside its store transaction and
applies them only once that has committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity

__all__ = ["Change", "Lifecycle", "GROWTH"]

GROWTH = 2.0  # an update is told when the window's count reached this multiple of the last told
TOLD_COUNT = "told_count"
TOLD_SEVERITY = "told_severity"


@dataclass(frozen=True, slots=True)
class Change:
    """One alert from the detector: to store always, and the event to send, if any."""

    alert: Alert
    event: AlertEvent | None


def _count(alert: Alert) -> int:
    return alert.burst.count if alert.burst is not None else 0


def _told(alert: Alert) -> tuple[int, Severity]:
    a = alert.annotations
    try:
        return int(a[TOLD_COUNT]), Severity(a[TOLD_SEVERITY])
    except (KeyError, ValueError):
        # An alert stored before this was kept: take it as told as it stands.
        return _count(alert), alert.severity


def _stamp(alert: Alert, count: int, severity: Severity) -> Alert:
    notes = dict(alert.annotations, **{TOLD_COUNT: str(count), TOLD_SEVERITY: severity.value})
    return replace(alert, annotations=notes)


class Lifecycle:
    """The open (firing) alerts by series key, and the events the next alerts make."""

    def __init__(self, firing: Iterable[Alert] = (), *, growth: float = GROWTH):
        self.firing: dict[str, Alert] = {a.key: a for a in firing}
        self.growth = growth

    def name(self, alerts: Iterable[Alert]) -> list[Change]:
        """Changes for ``alerts`` in order, as if each were applied before the next."""
        open_ = dict(self.firing)
        changes = []
        for alert in alerts:
            change = self._change(alert, open_.get(alert.key))
            changes.append(change)
            if change.alert.firing:
                open_[alert.key] = change.alert
            else:
                open_.pop(alert.key, None)
        return changes

    def _change(self, alert: Alert, previous: Alert | None) -> Change:
        same_wave = previous is not None and previous.id == alert.id
        if alert.state is AlertState.RESOLVED:
            if same_wave:
                alert = replace(alert, annotations={**previous.annotations, **alert.annotations})
            return Change(alert, AlertEvent(EventKind.RESOLVED, alert))
        if not same_wave:
            alert = _stamp(alert, _count(alert), alert.severity)
            return Change(alert, AlertEvent(EventKind.FIRING, alert))
        told_count, told_severity = _told(previous)
        if alert.severity.rank > told_severity.rank:
            alert = _stamp(alert, _count(alert), alert.severity)
            return Change(alert, AlertEvent(EventKind.ESCALATED, alert))
        if _count(alert) >= self.growth * max(told_count, 1):
            alert = _stamp(alert, _count(alert), alert.severity)
            return Change(alert, AlertEvent(EventKind.UPDATED, alert))
        return Change(_stamp(alert, told_count, told_severity), None)

    def apply(self, changes: Iterable[Change]) -> None:
        for c in changes:
            if c.alert.firing:
                self.firing[c.alert.key] = c.alert
            else:
                self.firing.pop(c.alert.key, None)

    def products(self) -> set[str]:
        """Products with an open alert: they are evaluated even when no new post names them."""
        return {a.product for a in self.firing.values()}
