"""Group: each event joins its receiver's aggregation group, as in Alertmanager's dispatcher.

The group is named by the alert's values of the route's ``group_by`` labels (all of them for
``...``), so a product's alert and its category alerts share one group under the shipped
``group_by: [product]``. A new group is first looked at ``group_wait`` after its first event
(``Notifier.flush``); the events that join it meanwhile go out in the same notification.

Groups are kept in the store: a restart in the middle of a group carries it on. Each alert is
in the group once, as its latest event; an escalation not yet told stays an escalation when an
update follows it before the flush, so the news is not lost in the merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from yujing.alerts import AlertEvent, EventKind

from .base import Group, Notice

__all__ = ["GroupStage", "GroupStore", "group_key"]

# Which of two events, both not yet told, says more: a first firing, then an escalation, then
# an update. A resolution always stands (it is the alert's last word).
_NEWS = {EventKind.UPDATED: 0, EventKind.ESCALATED: 1, EventKind.FIRING: 2}


class GroupStore(Protocol):
    def open(
        self,
        receiver: str,
        key: str,
        labels: dict[str, str],
        *,
        wait: float,
        interval: float,
        repeat: float,
        now: datetime,
    ) -> bool: ...

    def member(self, receiver: str, key: str, alert_id: str) -> Any: ...

    def put(self, receiver: str, key: str, alert_id: str, payload: dict[str, Any]) -> None: ...


def group_key(labels: dict[str, str]) -> str:
    """Alertmanager's notation: ``{product="anxin-e"}``; ``{}`` groups everything together."""
    inner = ",".join(f'{name}="{value}"' for name, value in sorted(labels.items()))
    return "{" + inner + "}"


class GroupStage:
    def __init__(self, groups: GroupStore, now: datetime):
        self.groups = groups
        self.now = now

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        out: list[Notice] = []
        for notice in notices:
            opts = notice.route
            labels = opts.group_labels(notice.event.alert.labels)
            key = group_key(labels)
            self.groups.open(
                notice.receiver,
                key,
                labels,
                wait=opts.group_wait,
                interval=opts.group_interval,
                repeat=opts.repeat_interval,
                now=self.now,
            )
            event = self._merged(notice.receiver, key, notice.event)
            self.groups.put(notice.receiver, key, event.id, event.to_dict())
            out.append(replace(notice, event=event, group=Group(key, labels)))
        return out

    def _merged(self, receiver: str, key: str, event: AlertEvent) -> AlertEvent:
        if event.event is EventKind.RESOLVED:
            return event
        member = self.groups.member(receiver, key, event.id)
        if member is None or not member.pending:
            return event
        before = EventKind(member.payload.get("event") or EventKind.FIRING)
        if before in _NEWS and _NEWS[before] > _NEWS[event.event]:
            return AlertEvent(before, event.alert)  # the news not yet told, with today's numbers
        return event
