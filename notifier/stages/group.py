"""Group: which notices travel together to a receiver.

Today every alert is its own group: the group key is the alert's key (its series), so a wave's
firing, updates and resolution share one. ``group_by`` and group timers can build on the key
later without changing the stages around this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .base import Notice

__all__ = ["GroupStage"]


class GroupStage:
    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        return [replace(n, group=n.event.alert.key) for n in notices]
