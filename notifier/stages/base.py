"""What every stage shares: the ``Notice`` that flows through them and the ``Stage`` protocol.

As in Alertmanager's notification pipeline, each stage takes what the stage before it let
through and returns what the next one gets: routing fans an event out to receivers, the
muting stages (inhibit, silence) and dedup drop notices, and the outbox writes the survivors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from yujing.alerts import AlertEvent, EventKind

__all__ = ["Notice", "Stage", "run", "mutable"]


@dataclass(frozen=True, slots=True)
class Notice:
    """One alert event on its way to one receiver."""

    event: AlertEvent
    receiver: str = ""  # set by the route stage
    group: str = ""  # set by the group stage
    row: int | None = None  # the outbox row, set by the outbox stage
    # A reminder of an alert still firing: it goes only to receivers never told of the alert
    # (its firing was inhibited or silenced then, and now nothing mutes it any more).
    first_only: bool = False


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
    a Slack thread), and with no group timers to send it later it would otherwise stay open
    for good. The dedup stage drops it for receivers that were never told of the alert.
    """
    return notice.event.event is not EventKind.RESOLVED
