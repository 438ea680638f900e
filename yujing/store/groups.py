"""Aggregation groups, kept so a restart in the middle of a group neither loses nor repeats it.

A group is one receiver's alerts that share the group labels (``notify.route``'s ``group_by``):
its members (each alert's latest event) and its timer (``next_flush_at``). The notifier decides
what goes out and when; this only keeps it. Writes commit with the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from yujing.records import format_time, parse_time

__all__ = ["Groups", "GroupRow", "Member"]


@dataclass(frozen=True, slots=True)
class GroupRow:
    receiver: str
    key: str
    labels: dict[str, str]
    group_interval: float
    repeat_interval: float
    next_flush_at: datetime
    notified_at: datetime | None


@dataclass(frozen=True, slots=True)
class Member:
    alert_id: str
    payload: dict[str, Any]
    pending: bool  # changed since the receiver was last told of it


_GROUP = "receiver, key, labels, group_interval, repeat_interval, next_flush_at, notified_at"


def _row(r: tuple) -> GroupRow:
    return GroupRow(
        receiver=r[0],
        key=r[1],
        labels=json.loads(r[2]),
        group_interval=r[3],
        repeat_interval=r[4],
        next_flush_at=parse_time(r[5]),
        notified_at=parse_time(r[6]) if r[6] else None,
    )


class Groups:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

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
    ) -> bool:
        """Make the group if it is new, first looked at ``wait`` seconds from ``now``; an
        existing group keeps its timer and takes the (maybe reloaded) intervals. True if new."""
        cur = self._db.execute(
            f"INSERT INTO alert_groups({_GROUP}, created_at) VALUES (?,?,?,?,?,?,NULL,?)"
            " ON CONFLICT(receiver, key) DO NOTHING",
            (
                receiver,
                key,
                json.dumps(labels, ensure_ascii=False, sort_keys=True),
                interval,
                repeat,
                format_time(now + timedelta(seconds=wait)),
                format_time(now),
            ),
        )
        if cur.rowcount:
            return True
        self._db.execute(
            "UPDATE alert_groups SET group_interval=?, repeat_interval=? WHERE receiver=? AND key=?",
            (interval, repeat, receiver, key),
        )
        return False

    def member(self, receiver: str, key: str, alert_id: str) -> Member | None:
        row = self._db.execute(
            "SELECT payload, pending FROM alert_group_members"
            " WHERE receiver=? AND key=? AND alert_id=?",
            (receiver, key, alert_id),
        ).fetchone()
        return Member(alert_id, json.loads(row[0]), bool(row[1])) if row else None

    def put(self, receiver: str, key: str, alert_id: str, payload: dict[str, Any]) -> None:
        """Set the alert's latest event in the group, as changed; it keeps its place."""
        self._db.execute(
            "INSERT INTO alert_group_members(receiver, key, alert_id, payload, pending, seq)"
            " VALUES (?,?,?,?,1,(SELECT coalesce(max(seq), 0) + 1 FROM alert_group_members))"
            " ON CONFLICT(receiver, key, alert_id) DO UPDATE SET payload=excluded.payload,"
            " pending=1",
            (receiver, key, alert_id, json.dumps(payload, ensure_ascii=False)),
        )

    def members(self, receiver: str, key: str) -> list[Member]:
        """The group's alerts in the order they joined it."""
        rows = self._db.execute(
            "SELECT alert_id, payload, pending FROM alert_group_members"
            " WHERE receiver=? AND key=? ORDER BY seq",
            (receiver, key),
        ).fetchall()
        return [Member(r[0], json.loads(r[1]), bool(r[2])) for r in rows]

    def memberships(self) -> list[tuple[str, str, Member]]:
        """(receiver, group key, member) of every group, each group's alerts in the order they
        joined it."""
        rows = self._db.execute(
            "SELECT receiver, key, alert_id, payload, pending FROM alert_group_members"
            " ORDER BY receiver, key, seq"
        ).fetchall()
        return [(r[0], r[1], Member(r[2], json.loads(r[3]), bool(r[4]))) for r in rows]

    def get(self, receiver: str, key: str) -> GroupRow | None:
        row = self._db.execute(
            f"SELECT {_GROUP} FROM alert_groups WHERE receiver=? AND key=?", (receiver, key)
        ).fetchone()
        return _row(row) if row else None

    def due(self, now: datetime) -> list[GroupRow]:
        """Groups whose timer has run out at ``now``, the longest waiting first."""
        rows = self._db.execute(
            f"SELECT {_GROUP} FROM alert_groups WHERE next_flush_at <= ?"
            " ORDER BY next_flush_at, receiver, key",
            (format_time(now),),
        ).fetchall()
        return [_row(r) for r in rows]

    def waiting(self) -> list[tuple[GroupRow, int]]:
        """Groups with alerts changed since their receiver was last told, and how many."""
        rows = self._db.execute(
            f"SELECT {', '.join('g.' + c for c in _GROUP.split(', '))}, count(*)"
            " FROM alert_groups g JOIN alert_group_members m"
            " ON m.receiver = g.receiver AND m.key = g.key WHERE m.pending = 1"
            " GROUP BY g.receiver, g.key ORDER BY g.next_flush_at"
        ).fetchall()
        return [(_row(r[:-1]), r[-1]) for r in rows]

    def all(self) -> list[GroupRow]:
        rows = self._db.execute(
            f"SELECT {_GROUP} FROM alert_groups ORDER BY receiver, key"
        ).fetchall()
        return [_row(r) for r in rows]

    def flushed(
        self,
        group: GroupRow,
        now: datetime,
        *,
        notified: bool,
        told: Iterable[str],
        gone: Iterable[str],
    ) -> None:
        """After a look at ``group``: ``told`` alerts are no longer changed, ``gone`` ones
        (resolved) leave it, the timer runs ``group_interval`` on. An empty group is removed."""
        key = (group.receiver, group.key)
        self._db.executemany(
            "UPDATE alert_group_members SET pending=0 WHERE receiver=? AND key=? AND alert_id=?",
            [(*key, a) for a in told],
        )
        self._db.executemany(
            "DELETE FROM alert_group_members WHERE receiver=? AND key=? AND alert_id=?",
            [(*key, a) for a in gone],
        )
        left = self._db.execute(
            "SELECT 1 FROM alert_group_members WHERE receiver=? AND key=? LIMIT 1", key
        ).fetchone()
        if left is None:
            self._db.execute("DELETE FROM alert_groups WHERE receiver=? AND key=?", key)
            return
        notified_at = (
            format_time(now)
            if notified
            else (format_time(group.notified_at) if group.notified_at else None)
        )
        self._db.execute(
            "UPDATE alert_groups SET next_flush_at=?, notified_at=? WHERE receiver=? AND key=?",
            (format_time(now + timedelta(seconds=group.group_interval)), notified_at, *key),
        )
