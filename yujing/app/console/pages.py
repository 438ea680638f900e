"""What each console page shows, read from the store: the open waves in the notifier's groups
(as ``GET /api/v2/alerts/groups`` gives them), one wave with its message and timeline, the
silences, and the waves a silence would mute."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Handling, Severity, Silence
from yujing.config import Config
from yujing.matchers import Matcher, matcher_text
from yujing.notifier.render import alert_text, alert_view
from yujing.notifier.render.view import EVENTS, local_time
from yujing.records import parse_time
from yujing.store import Store
from yujing.views import AlertView

from .. import ops
from ..amapi.alerts import AlertFilter, Waves
from ..amapi.silences import silence_state, silences_in_order
from ..status import handled, took

__all__ = [
    "GroupRow",
    "WaveRow",
    "WavePage",
    "SilenceRow",
    "names_of",
    "open_groups",
    "wave_page",
    "wave_link",
    "silence_rows",
    "silence_link",
    "muted_rows",
]


@dataclass(frozen=True)
class WaveRow:
    id: str
    link: str
    title: str
    severity: str
    handling: str
    started: str
    updated: str
    muted: str  # why the notifier keeps it quiet now, or ""


@dataclass(frozen=True)
class GroupRow:
    labels: str
    receiver: str
    waves: list[WaveRow]


@dataclass(frozen=True)
class TimelineRow:
    at: str
    what: str
    via: str


@dataclass(frozen=True)
class WavePage:
    alert: Alert
    view: AlertView
    message: str
    timeline: list[TimelineRow]
    acknowledged: str
    resolved: str
    silence_link: str
    open: bool = True


@dataclass(frozen=True)
class SilenceRow:
    id: str
    matchers: str
    state: str
    starts: str
    ends: str
    author: str
    comment: str


def names_of(config: Config) -> dict[str, str]:
    return {p.id: p.name for p in config.products} | {c.id: c.name for c in config.categories}


def wave_link(alert_id: str) -> str:
    return "/wave/" + quote(alert_id, safe="")


def silence_link(labels: dict[str, str]) -> str:
    """The silence form prefilled with matchers naming exactly these labels."""
    pairs = [("matchers", matcher_text(k, "=", v)) for k, v in sorted(labels.items())]
    return "/silences/new?" + urlencode(pairs)


def _local(rfc3339: str, config: Config) -> str:
    return local_time(parse_time(rfc3339.replace("Z", "+00:00")), config.tz)


def _row(doc: dict[str, Any], config: Config) -> WaveRow:
    notes, status = doc["annotations"], doc["status"]
    muted = "已静默" if status["silencedBy"] else ("被抑制" if status["inhibitedBy"] else "")
    return WaveRow(
        id=notes["alert_id"],
        link=wave_link(notes["alert_id"]),
        title=notes.get("summary", notes["alert_id"]),
        severity=doc["labels"].get("severity", ""),
        handling=notes.get("handling", ""),
        started=_local(doc["startsAt"], config),
        updated=_local(doc["updatedAt"], config),
        muted=muted,
    )


def open_groups(
    store: Store, config: Config, matchers: tuple[Matcher, ...], now: datetime
) -> list[GroupRow]:
    """The notifier's groups of open waves the matchers keep; the group with the latest change
    first, and in each the latest changed wave first."""
    groups = Waves(store, config, now).alert_groups(AlertFilter(matchers=matchers))
    out = []
    for g in groups:
        docs = sorted(g["alerts"], key=lambda d: d["updatedAt"], reverse=True)
        labels = " · ".join(f"{k}={v}" for k, v in sorted(g["labels"].items())) or "全部"
        row = GroupRow(labels, g["receiver"]["name"], [_row(d, config) for d in docs])
        out.append((docs[0]["updatedAt"], row))
    return [row for _, row in sorted(out, key=lambda pair: pair[0], reverse=True)]


def _timeline_row(kind: str, at: str, body: dict[str, Any], config: Config) -> TimelineRow:
    when = _local(at, config)
    if kind == "handling":
        line = Handling.from_dict(body).line()
        if body.get("false_alarm"):
            line += "（误报）"
        return TimelineRow(when, line, str(body.get("via", "")))
    event = str(body.get("event", ""))
    severity = str(body.get("severity", ""))
    label = f"{Severity(severity).label}色" if severity in {v.value for v in Severity} else ""
    return TimelineRow(when, f"{EVENTS.get(event, event)} {label}".strip(), "")


def wave_page(store: Store, config: Config, ref: str) -> WavePage:
    """The wave ``ref`` names (``ops.OpsError`` when none), as its page shows it."""
    record = ops.record_of(store, ref)
    alert = record.alert
    resolved = alert.state is AlertState.RESOLVED
    event = AlertEvent(EventKind.RESOLVED if resolved else EventKind.FIRING, alert)
    view = alert_view(event, tz=config.tz, names=names_of(config))
    timeline = [
        _timeline_row(e.kind, e.at, json.loads(e.body), config) for e in store.audit.about(alert.id)
    ]
    return WavePage(
        alert=alert,
        view=view,
        message=alert_text(view),
        timeline=timeline,
        acknowledged=handled(record.times, alert.started_at) or "未确认",
        resolved=took(alert.started_at, record.times.resolved_at),
        silence_link=silence_link(dict(alert.labels)),
        open=not resolved,
    )


def silence_rows(store: Store, config: Config, now: datetime) -> list[SilenceRow]:
    return [
        SilenceRow(
            id=s.id,
            matchers=", ".join(s.matchers),
            state=silence_state(s, now),
            starts=local_time(s.starts_at, config.tz),
            ends=local_time(s.ends_at, config.tz),
            author=s.author,
            comment=s.comment,
        )
        for s in silences_in_order(store.silences.all(), now)
    ]


def muted_rows(store: Store, config: Config, silence: Silence, now: datetime) -> list[WaveRow]:
    """The open waves ``silence`` would mute, as the wave list shows them."""
    waves = Waves(store, config, now)
    ids = set(waves.muted_by(silence))
    docs = [d for d in waves.alerts(AlertFilter()) if d["annotations"]["alert_id"] in ids]
    return [_row(d, config) for d in sorted(docs, key=lambda d: d["updatedAt"], reverse=True)]
