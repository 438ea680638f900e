"""Alerts, the record the detector hands the notifier, and the events of their lifecycle.

An ``Alert`` is general, as in Alertmanager: a key (the series it watches), labels that routes
match, reasons and annotations people read, a start, an end and a state. What one kind of alert
measured rides apart: ``BurstFacts`` for complaint bursts; a source-health alert needs none.

An ``AlertEvent`` is one change of an alert worth telling: it fired, was updated, escalated or
resolved. Its ``to_dict`` is the wire format of the outbox, the journal file and ``yujing replay``:
the alert's fields flat, plus ``event``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .matchers import parse_matcher
from .records import format_time, parse_time

__all__ = [
    "KINDS",
    "kind_label",
    "Action",
    "Alert",
    "AlertEvent",
    "AlertState",
    "BurstFacts",
    "EventKind",
    "Handling",
    "Severity",
    "Silence",
]


# Every kind of alert, with what people read it as (the message title's last words). Routes match
# ``kind=``; the config's label check knows the same values (``yujing.config.labels``).
KINDS: dict[str, str] = {
    "burst": "群体投诉苗头",  # complaints of several people piling up about a product
    "repeat": "同一用户反复投诉",  # one person complaining again and again: not a group
    "source": "数据源抓取异常",  # a source failing or gone quiet
}


def kind_label(kind: str) -> str:
    """The Chinese words for an alert kind; a kind this release does not know reads as what it
    most likely is (an alert from a newer peer or a stored one from an older release)."""
    return KINDS.get(kind, "投诉异常")


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Severity(StrEnum):
    # Chinese early-warning colours, least to most severe.
    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    @property
    def label(self) -> str:
        return {"blue": "蓝", "yellow": "黄", "orange": "橙", "red": "红"}[self.value]


class EventKind(StrEnum):
    FIRING = "firing"
    UPDATED = "updated"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


_TIMES = ("started_at", "updated_at", "resolved_at")
_BURST_TIMES = ("window_start", "window_end")


@dataclass(frozen=True, slots=True)
class BurstFacts:
    """What a burst alert measured in its window."""

    window_start: datetime
    window_end: datetime
    count: int
    baseline: float  # posts the series' usual level expects in the window
    complainants: int
    score: float = 0.0  # -log10 of the window's chance under the baseline
    sources: int = 0
    samples: tuple[dict[str, Any], ...] = ()  # {"id", "title", "url", "source", "published_at"}
    series: tuple[int, ...] = ()  # posts per bucket, oldest first, for a chart

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_start": format_time(self.window_start),
            "window_end": format_time(self.window_end),
            "count": self.count,
            "baseline": self.baseline,
            "complainants": self.complainants,
            "score": self.score,
            "sources": self.sources,
            "samples": list(self.samples),
            "series": list(self.series),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BurstFacts:
        return cls(
            window_start=parse_time(d["window_start"]),
            window_end=parse_time(d["window_end"]),
            count=int(d["count"]),
            baseline=float(d["baseline"]),
            complainants=int(d["complainants"]),
            score=float(d.get("score", 0.0)),
            sources=int(d.get("sources", 0)),
            samples=tuple(d.get("samples") or ()),
            series=tuple(int(v) for v in d.get("series") or ()),
        )


@dataclass(frozen=True, slots=True)
class Alert:
    key: str  # stable identity of the series: kind:product[/category]
    id: str  # one wave of that series: key@started
    severity: Severity
    state: AlertState
    started_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    # What routes, groups and inhibit rules match: kind and product always, category when set.
    labels: dict[str, str] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()  # why, in words people read
    annotations: dict[str, str] = field(default_factory=dict)
    burst: BurstFacts | None = None

    @property
    def kind(self) -> str:
        return self.labels.get("kind", "")

    @property
    def product(self) -> str:
        return self.labels.get("product", "")

    @property
    def category(self) -> str | None:
        return self.labels.get("category") or None

    @property
    def firing(self) -> bool:
        return self.state is AlertState.FIRING

    def resolve(self, at: datetime, *, reason: str | None = None, **changes: Any) -> Alert:
        reasons = (*self.reasons, reason) if reason else self.reasons
        return replace(
            self,
            state=AlertState.RESOLVED,
            resolved_at=at,
            updated_at=at,
            reasons=reasons,
            **changes,
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "key": self.key,
            "id": self.id,
            "kind": self.kind,
            "product": self.product,
            "category": self.category,
            "severity": self.severity.value,
            "state": self.state.value,
            "started_at": format_time(self.started_at),
            "updated_at": format_time(self.updated_at),
            "resolved_at": format_time(self.resolved_at) if self.resolved_at else None,
            "labels": dict(self.labels),
            "reasons": list(self.reasons),
            "annotations": dict(self.annotations),
        }
        if self.burst is not None:
            d.update(self.burst.to_dict())
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Alert:
        labels = {str(k): str(v) for k, v in (d.get("labels") or {}).items()}
        # Stored alerts from before labels carried these have them only as fields.
        for name in ("kind", "product", "category"):
            if d.get(name) and name not in labels:
                labels[name] = str(d[name])
        times = {name: parse_time(d[name]) if d.get(name) else None for name in _TIMES}
        return cls(
            key=d["key"],
            id=d["id"],
            severity=Severity(d["severity"]),
            state=AlertState(d["state"]),
            started_at=times["started_at"] or parse_time(d["updated_at"]),
            updated_at=times["updated_at"] or parse_time(d["started_at"]),
            resolved_at=times["resolved_at"],
            labels=labels,
            reasons=tuple(d.get("reasons") or ()),
            annotations={str(k): str(v) for k, v in (d.get("annotations") or {}).items()},
            burst=BurstFacts.from_dict(d) if "count" in d else None,
        )


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One change of an alert worth telling someone about."""

    event: EventKind
    alert: Alert

    @property
    def id(self) -> str:
        return self.alert.id

    def labels(self) -> dict[str, str]:
        """What a route matches: the alert's labels, its severity and state, and the event."""
        labels = dict(self.alert.labels)
        labels.update(
            severity=self.alert.severity.value,
            state=self.alert.state.value,
            event=self.event.value,
        )
        return labels

    def to_dict(self) -> dict[str, Any]:
        d = self.alert.to_dict()
        d["event"] = self.event.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AlertEvent:
        alert = Alert.from_dict(d)
        default = EventKind.RESOLVED if alert.state is AlertState.RESOLVED else EventKind.FIRING
        return cls(EventKind(d.get("event") or default), alert)


@dataclass(frozen=True, slots=True)
class Silence:
    """Alertmanager's silence: while active, events whose labels all ``matchers`` match are not
    sent. Active from ``starts_at`` up to, not including, ``ends_at``."""

    matchers: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    author: str
    comment: str
    id: str = ""

    def __post_init__(self) -> None:
        # An empty silence would mute everything: Alertmanager refuses it, and so do we.
        if not self.matchers:
            raise ValueError("a silence needs at least one matcher")
        for m in self.matchers:
            parse_matcher(m)  # raises ValueError on a bad matcher
        # Equal ends an expired silence that never ran: expired in the second it began (times are
        # kept to the second), or before its start.
        if self.ends_at < self.starts_at:
            raise ValueError("a silence must end after it starts")

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def mutes(self, labels: dict[str, str]) -> bool:
        return all(parse_matcher(m).matches(labels) for m in self.matchers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": list(self.matchers),
            "starts_at": format_time(self.starts_at),
            "ends_at": format_time(self.ends_at),
            "author": self.author,
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Silence:
        return cls(
            matchers=tuple(str(m) for m in d["matchers"]),
            starts_at=parse_time(d["starts_at"]),
            ends_at=parse_time(d["ends_at"]),
            author=str(d.get("author") or ""),
            comment=str(d.get("comment") or ""),
            id=str(d["id"]),
        )


class Action(StrEnum):
    """What a person did about an alert (``yujing alert ACTION``)."""

    ACK = "ack"  # seen, someone is on it
    ASSIGN = "assign"  # handed to someone (``to``)
    NOTE = "note"  # a remark for the record
    RESOLVE = "resolve"  # the team has dealt with it (the posts may still come)

    @property
    def verb(self) -> str:
        return {"ack": "已确认", "assign": "已指派", "note": "备注", "resolve": "已处理完毕"}[
            self.value
        ]


@dataclass(frozen=True, slots=True)
class Handling:
    """One handling action on an alert: who, what, when and why."""

    alert_id: str
    action: Action
    by: str
    at: datetime
    why: str = ""
    to: str = ""  # with ``assign``: who takes the alert

    def __post_init__(self) -> None:
        if not self.by.strip():
            raise ValueError("say who did it (--by NAME)")
        if self.action is Action.ASSIGN and not self.to.strip():
            raise ValueError("an assignment needs someone to assign to (--to NAME)")

    def line(self) -> str:
        """E.g. "张三 已确认", "张三 已指派给 李四：夜班跟进"."""
        text = f"{self.by} {self.action.verb}"
        if self.action is Action.ASSIGN:
            text += f"给 {self.to}"
        return f"{text}：{self.why}" if self.why else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "action": self.action.value,
            "by": self.by,
            "at": format_time(self.at),
            "why": self.why,
            "to": self.to,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Handling:
        return cls(
            alert_id=str(d["alert_id"]),
            action=Action(d["action"]),
            by=str(d["by"]),
            at=parse_time(d["at"]),
            why=str(d.get("why") or ""),
            to=str(d.get("to") or ""),
        )
