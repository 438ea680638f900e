"""The notification pipeline, as in Alertmanager: route -> group on the way in; inhibit ->
silence -> dedup -> outbox when a group's timer runs out. Each stage is a small unit with one
method, ``run(notices) -> notices``."""

from __future__ import annotations

from datetime import datetime

from yujing.config import Notify
from yujing.store import Store

from .base import Group, Notice, Stage, run
from .dedup import DedupStage, NotificationLog, Sent
from .group import GroupStage, GroupStore, group_key
from .inhibit import FiringAlerts, InhibitStage, Rule, inhibitors
from .outbox import Log, Outbox, OutboxStage, StoreLog
from .route import RouteStage
from .silence import Silence, Silences, SilenceStage, no_silences, silencing

__all__ = [
    "DedupStage",
    "FiringAlerts",
    "Group",
    "GroupStage",
    "GroupStore",
    "InhibitStage",
    "Log",
    "Notice",
    "NotificationLog",
    "Outbox",
    "OutboxStage",
    "RouteStage",
    "Rule",
    "Sent",
    "Silence",
    "SilenceStage",
    "Silences",
    "Stage",
    "StoreLog",
    "intake_stages",
    "flush_stages",
    "group_key",
    "inhibitors",
    "no_silences",
    "run",
    "silencing",
]


def intake_stages(notify: Notify, groups: GroupStore, now: datetime) -> list[Stage]:
    """An event's way in at ``now``: to its receivers' groups (kept in ``groups``)."""
    return [RouteStage(notify.route), GroupStage(groups, now)]


def flush_stages(
    notify: Notify,
    store: Store,
    firing: FiringAlerts,
    silences: Silences,
    now: datetime,
) -> list[Stage]:
    """A group's way out at ``now``. ``store`` has ``outbox`` and ``notified`` (the log)."""
    return [
        InhibitStage(notify.inhibit_rules, firing),
        SilenceStage(silences, clock=lambda: now),
        DedupStage(StoreLog(store.notified)),
        OutboxStage(store.outbox, store.notified, now),
    ]
