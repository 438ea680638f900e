"""Open waves as Alertmanager's API shows alerts: ``GET /api/v2/alerts`` and ``/alerts/groups``.

An alert is one open wave (a firing alert in the store). Its labels are what routes match: the
alert's own (kind, product, category, source, ...) and its severity; ``state`` and ``event``
describe a notification, not the wave, and are left out. Its annotations are what people read:
the Chinese title, the reasons, the counts, samples with their links, the Discover link, who
handles it (as ``yujing status`` says) and the id ``yujing alert ack`` takes. Its fingerprint stands for the wave (its id), so it stays the same
when the wave escalates.

Its status is the notifier's verdict as the next look at its group would give it: silenced by
the active silences that match the labels the notifier matches (with the event the group holds
for it), inhibited by the firing alerts the ``inhibit_rules`` name. Its receivers are those
whose aggregation groups hold it. Groups are the notifier's own, kept in the store: one
receiver's alerts sharing the route's ``group_by`` labels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Silence
from yujing.config import Config
from yujing.matchers import Matcher
from yujing.notifier.render import alert_view
from yujing.notifier.route import match_receivers
from yujing.notifier.stages import Rule, inhibitors, silencing
from yujing.patterns import Pattern
from yujing.records import format_time
from yujing.store import Store

from ..status import handled

__all__ = ["AlertFilter", "Waves", "fingerprint", "api_labels"]

# An open wave has no end yet; Alertmanager gives such an alert an end a resolve_timeout (five
# minutes by default) ahead, renewed while it fires, and its clients read it so.
OPEN_END = timedelta(minutes=5)


def fingerprint(alert: Alert) -> str:
    """The wave's fingerprint: 16 hex digits, as Alertmanager's, from its id."""
    return hashlib.sha256(alert.id.encode("utf-8")).hexdigest()[:16]


def api_labels(alert: Alert) -> dict[str, str]:
    return {**alert.labels, "severity": alert.severity.value}


@dataclass(frozen=True)
class AlertFilter:
    """The query of ``GET /alerts`` and ``/alerts/groups``, as Alertmanager reads it."""

    matchers: tuple[Matcher, ...] = ()
    active: bool = True
    silenced: bool = True
    inhibited: bool = True
    unprocessed: bool = True  # an open wave has always been judged: none is unprocessed
    receiver: Pattern | None = None

    def receiver_ok(self, name: str) -> bool:
        return self.receiver is None or self.receiver.fullmatch(name) is not None


@dataclass
class _Wave:
    alert: Alert
    receivers: list[str] = field(default_factory=list)
    event: EventKind = EventKind.FIRING  # what the notifier's groups hold for it


class Waves:
    """The open waves at ``now``, with the notifier's groups and verdicts."""

    def __init__(self, store: Store, config: Config, now: datetime):
        self.config = config
        self.now = now
        self._waves = {a.id: _Wave(a) for a in store.alerts.all(AlertState.FIRING)}
        self._handling = store.handling
        # (receiver, group key) -> the group's labels and its open waves, in the order they joined
        self.groups: dict[tuple[str, str], tuple[dict[str, str], list[str]]] = {}
        labels_of = {(g.receiver, g.key): g.labels for g in store.groups.all()}
        for receiver, key, member in store.groups.memberships():
            wave = self._waves.get(member.alert_id)
            if wave is None or (receiver, key) not in labels_of:
                continue  # resolved (told at the group's next look) or not a wave at all
            wave.receivers.append(receiver)
            wave.event = _held(member.payload.get("event"), wave.event)
            self.groups.setdefault((receiver, key), (labels_of[(receiver, key)], []))[1].append(
                member.alert_id
            )
        for wave in self._waves.values():
            if not wave.receivers:  # in no group (yet): where the route sends it
                labels = AlertEvent(EventKind.FIRING, wave.alert).labels()
                wave.receivers = match_receivers(config.notify.route, labels)
        self._silences = store.silences.active(now)
        self._rules = [Rule.from_config(r) for r in config.notify.inhibit_rules]
        self._firing = [w.alert for w in self._waves.values()]
        self._names = {p.id: p.name for p in config.products} | {
            c.id: c.name for c in config.categories
        }

    def alerts(self, query: AlertFilter) -> list[dict[str, Any]]:
        """Every open wave the query keeps, most recently updated first."""
        out = []
        for wave in self._waves.values():
            if query.receiver is None or any(query.receiver_ok(r) for r in wave.receivers):
                doc = self._doc(wave)
                if _kept(doc, query):
                    out.append(doc)
        return out

    def alert_groups(self, query: AlertFilter) -> list[dict[str, Any]]:
        """The notifier's groups with the open waves the query keeps; empty ones left out."""
        out = []
        for (receiver, _key), (labels, ids) in sorted(self.groups.items()):
            if not query.receiver_ok(receiver):
                continue
            docs = [d for d in (self._doc(self._waves[i]) for i in ids) if _kept(d, query)]
            if docs:
                out.append({"labels": dict(labels), "receiver": {"name": receiver}, "alerts": docs})
        return out

    def muted_by(self, silence: Silence) -> list[str]:
        """The ids of the open waves ``silence`` would mute from its start, as the notifier's
        next look at their groups would judge (the labels of the event each group holds)."""
        return [
            w.alert.id
            for w in self._waves.values()
            if silencing([silence], AlertEvent(w.event, w.alert).labels(), silence.starts_at)
        ]

    # ------------------------------------------------------------ one wave

    def _doc(self, wave: _Wave) -> dict[str, Any]:
        alert = wave.alert
        event = AlertEvent(wave.event, alert).labels()
        silenced = [s.id for s in silencing(self._silences, event, self.now)]
        inhibited = [
            fingerprint(a) for a in inhibitors(self._rules, alert.key, event, self._firing)
        ]
        doc: dict[str, Any] = {
            "labels": api_labels(alert),
            "annotations": self._annotations(alert),
            "receivers": [{"name": r} for r in wave.receivers],
            "fingerprint": fingerprint(alert),
            "startsAt": format_time(alert.started_at),
            "updatedAt": format_time(alert.updated_at),
            "endsAt": format_time(max(self.now, alert.updated_at) + OPEN_END),
            "status": {
                "state": "suppressed" if silenced or inhibited else "active",
                "silencedBy": silenced,
                "inhibitedBy": inhibited,
            },
        }
        discover = doc["annotations"].get("discover_url", "")
        if discover:
            doc["generatorURL"] = discover
        return doc

    def _annotations(self, alert: Alert) -> dict[str, str]:
        view = alert_view(AlertEvent(EventKind.FIRING, alert), tz=self.config.tz, names=self._names)
        said = {
            "summary": view.title,
            "description": "\n".join(view.reasons),
            "counts": view.counts,
            "window": view.window,
            "trend": view.trend,
            "samples": "\n".join(f"{s.title} {s.where}".strip() for s in view.samples),
            "discover_url": view.discover_url,
            "alert_id": alert.id,
            "handling": handled(self._handling.times(alert.id), alert.started_at) or "未确认",
        }
        extra = {k: v for k, v in alert.annotations.items() if k not in said}
        return {k: v for k, v in {**said, **extra}.items() if v}


def _held(value: Any, default: EventKind) -> EventKind:
    """The event a group holds for an open wave (a stale "resolved" reads as the default)."""
    try:
        event = EventKind(str(value))
    except ValueError:
        return default
    return default if event is EventKind.RESOLVED else event


def _kept(doc: Mapping[str, Any], query: AlertFilter) -> bool:
    status = doc["status"]
    if not query.active and status["state"] == "active":
        return False
    if not query.silenced and status["silencedBy"]:
        return False
    if not query.inhibited and status["inhibitedBy"]:
        return False
    return _all(query.matchers, doc["labels"])


def _all(matchers: Sequence[Matcher], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
