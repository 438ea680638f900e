"""What every stage shares: the ``Notice`` that flows through them and the ``Stage`` protocol.

As in Alertmanager's notification pipeline, each stage takes what the stage before it let
through and returns what the next one gets. An event's way in (``Notifier.submit``): routing
fans it out to receivers, grouping puts it in the receiver's aggregation group. A group's way
out when its timer runs out (``Notifier.flush``): its alerts pass the muting stages (inhibit,
silence), dedup decides whether the group has news or is due a reminder, and the outbox writes
one notification of what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from yujing.alerts import AlertEvent, EventKind
from yujing.config import ROOT_OPTS, RouteOpts

__all__ = ["Group", "Notice", "Stage", "run", "mutable"]


@dataclass(frozen=True, slots=True)
class Group:
    """The aggregation group a notice belongs to, as its flush sees it."""

    key: str
    labels: dict[str, str] = field(default_factory=dict)
    repeat_due: bool = False  # told before, and repeat_interval has passed since
    repeat_interval: float = 0.0


@dataclass(frozen=True, slots=True)
class Notice:
    """One alert event on its way to one receiver."""

    event: AlertEvent
    receiver: str = ""  # set by the route stage
    route: RouteOpts = ROOT_OPTS  # the matched route's grouping and timers, set with receiver
    group: Group | None = None  # set by the group stage, and by a flush
    row: int | None = None  # the outbox row, set by the outbox stage
    fresh: bool = True  # news for the receiver (set by dedup; the others come as context)


class Stage(Protocol):
    def run(self, notices: Sequence[Notice]) -> list[Notice]: ...


def run(stages: Sequence[Stage], notices: Sequence[Notice]) -> list[Notice]:
    """Pass ``notices`` through ``stages`` in order; stop once nothing is left."""
    out = list(notices)
    for stage in stages:
        if not out:
            break  # later stages would only read the store for nothing
        out = stage.run(out)
    return out


def mutable(notice: Notice) -> bool:
    """Whether inhibition and silences may drop ``notice``.

    A "resolved" is never muted: it closes what a receiver was told (an Elasticsearch document,
    a Slack thread), and it leaves its group once flushed, so muted it would stay open for
    good. The dedup stage drops it for receivers that were never told of the alert.
    """
    return notice.event.event is not EventKind.RESOLVED
