"""The notification pipeline, as in Alertmanager: route -> group -> inhibit -> silence -> dedup
-> outbox. Each stage is a small unit with one method, ``run(notices) -> notices``."""

from __future__ import annotations

from yujing.config import Notify

from .base import Notice, Stage, run
from .dedup import DedupStage, NotificationLog, Sent
from .group import GroupStage
from .inhibit import FiringAlerts, InhibitStage
from .outbox import Outbox, OutboxLog, OutboxStage
from .route import RouteStage
from .silence import Silence, Silences, SilenceStage, no_silences

__all__ = [
    "DedupStage",
    "FiringAlerts",
    "GroupStage",
    "InhibitStage",
    "Notice",
    "NotificationLog",
    "Outbox",
    "OutboxLog",
    "OutboxStage",
    "RouteStage",
    "Sent",
    "Silence",
    "SilenceStage",
    "Silences",
    "Stage",
    "build_stages",
    "no_silences",
    "run",
]


def build_stages(
    notify: Notify, outbox: Outbox, firing: FiringAlerts, silences: Silences = no_silences
) -> list[Stage]:
    """The stages for ``notify``, in order; ``outbox`` is the only store they touch."""
    return [
        RouteStage(notify.route),
        GroupStage(),
        InhibitStage(notify.inhibit_rules, firing),
        SilenceStage(silences),
        DedupStage(OutboxLog(outbox)),
        OutboxStage(outbox),
    ]
