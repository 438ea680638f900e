"""A notification: what one receiver is sent at once, and the outbox row's payload.

As in Alertmanager, a notification carries a group's alerts together (``events``: each alert's
latest event) with the group's key and labels; ``changed`` names the alerts it tells anew (the
others are there so the message shows the whole group), and ``repeat`` marks a reminder of a
group that did not change; ``at`` is when the notification was made (a reminder's own mark,
so a receiver can tell one reminder from the next). A handling action (``handling``: "张三 已确认") is a notification
too; its ``events`` hold the alert it is about.

Rows queued before notifications existed hold one event each: ``from_dict`` reads them as a
notification of that event alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yujing.alerts import AlertEvent, EventKind, Handling
from yujing.records import format_time, parse_time

__all__ = ["Notification", "ReportMail"]


@dataclass(frozen=True, slots=True)
class Notification:
    receiver: str
    group_key: str
    group_labels: dict[str, str]
    events: tuple[AlertEvent, ...]
    changed: frozenset[str] = field(default_factory=frozenset)  # alert ids told anew
    repeat: bool = False  # nothing changed: a reminder after repeat_interval
    handling: Handling | None = None
    # With a ``resolve`` handling: the alert was a false alarm, and why (``--false-alarm``).
    false_alarm: str | None = None
    at: datetime | None = None  # when it was made (the group's flush, the action's time)
    repeat_interval: float = 0.0  # the group's route's, for peers deciding on a reminder
    # Alerts a peer daemon has told this receiver of (``notify.peers``): their conversation
    # exists already, though this daemon's store has no trace of it. Never stored.
    peers_told: frozenset[str] = field(default_factory=frozenset)

    @property
    def firing(self) -> list[AlertEvent]:
        return [e for e in self.events if e.event is not EventKind.RESOLVED]

    @property
    def status(self) -> str:
        """ "firing" while any of its alerts fires, else "resolved" (Alertmanager's status)."""
        return "firing" if self.firing else "resolved"

    def to_dict(self) -> dict[str, Any]:
        return {
            "receiver": self.receiver,
            "group_key": self.group_key,
            "group_labels": dict(self.group_labels),
            "status": self.status,
            "repeat": self.repeat,
            "changed": sorted(self.changed),
            "alerts": [e.to_dict() for e in self.events],
            "handling": self.handling.to_dict() if self.handling else None,
            "at": format_time(self.at) if self.at else None,
            "repeat_interval": self.repeat_interval,
            **({"false_alarm": self.false_alarm} if self.false_alarm is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], receiver: str = "") -> Notification:
        if "alerts" not in d:  # one event, as queued before notifications carried several
            event = AlertEvent.from_dict(d)
            return cls(receiver, event.alert.key, {}, (event,), frozenset({event.id}))
        return cls(
            receiver=str(d.get("receiver") or receiver),
            group_key=str(d["group_key"]),
            group_labels={str(k): str(v) for k, v in (d.get("group_labels") or {}).items()},
            events=tuple(AlertEvent.from_dict(e) for e in d["alerts"]),
            changed=frozenset(str(a) for a in d.get("changed") or ()),
            repeat=bool(d.get("repeat")),
            handling=Handling.from_dict(d["handling"]) if d.get("handling") else None,
            at=parse_time(d["at"]) if d.get("at") else None,
            repeat_interval=float(d.get("repeat_interval") or 0.0),
            false_alarm=str(d["false_alarm"]) if d.get("false_alarm") is not None else None,
        )


@dataclass(frozen=True, slots=True)
class ReportMail:
    """A written report for a receiver that carries files (e-mail): its title, a summary in a
    sentence or two, the HTML (charts as data: URIs) and the PDF. ``key`` is the same for every
    try of one report to one receiver, so a resend is recognisably a copy."""

    key: str
    title: str
    summary: str
    html: str
    pdf: bytes
    pdf_name: str
    link: str | None = None  # where the PDF can be read, for the chat apps (``reports: url``)
