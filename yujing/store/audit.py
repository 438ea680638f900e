"""The audit journal: alert events, handling actions and silences added or expired (kind
``silence``, about no one alert), append-only and hash-chained.

Each entry holds the hash of the entry before it (``prev``) and its own hash over that and its
content, so the journal is one chain from the first entry on. ``verify`` walks it and names the
entry where it breaks: one whose content no longer matches its hash was edited; one whose
``prev`` is the hash of another entry in the journal comes out of order; one whose ``prev`` is
no entry's hash follows a removed entry. The hash of the last entry is kept apart (``State``,
``audit.head``) so removing the latest entries shows too. The entry number (``seq``) is where
the entry sits, not part of what is hashed: moving entries about is found by the chain.

Someone with write access to the file can rebuild the whole chain; ``yujing audit verify``
prints the head hash so it can be kept elsewhere (a ticket, a mail) and compared later.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yujing.records import format_time

from .state import State

__all__ = ["Audit", "AuditEntry", "AuditProblem", "GENESIS"]

GENESIS = "0" * 64  # the ``prev`` of the first entry
HEAD = "audit.head"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    kind: str  # "alert" (an alert event), "handling" or "silence"
    alert_id: str
    body: str  # canonical JSON
    prev: str
    hash: str

    def expected_hash(self) -> str:
        return chain_hash(self.prev, self.at, self.kind, self.alert_id, self.body)


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int  # the entry where the chain breaks
    what: str  # "edited", "removed", "reordered"
    message: str


def chain_hash(prev: str, at: str, kind: str, alert_id: str, body: str) -> str:
    content = json.dumps([prev, at, kind, alert_id, body], ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class Audit:
    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._state = State(db)

    def append(self, kind: str, alert_id: str, body: dict[str, Any], at: datetime) -> AuditEntry:
        """Add an entry after the last one (in the caller's transaction, so the alert or the
        action and its entry commit together)."""
        # After the last entry written (the head), not the last row: if rows at the end were
        # removed, the next entry still points at what they were, and the gap shows.
        head = self.head()
        if head is not None:
            prev = str(head["hash"])
        else:
            row = self._db.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            prev = row[0] if row else GENESIS
        text = json.dumps(body, ensure_ascii=False, sort_keys=True)
        when = format_time(at)
        digest = chain_hash(prev, when, kind, alert_id, text)
        cur = self._db.execute(
            "INSERT INTO audit(at, kind, alert_id, body, prev, hash) VALUES (?,?,?,?,?,?)",
            (when, kind, alert_id, text, prev, digest),
        )
        seq = int(cur.lastrowid or 0)
        self._state.set(HEAD, {"seq": seq, "hash": digest})
        return AuditEntry(seq, when, kind, alert_id, text, prev, digest)

    def entries(self) -> list[AuditEntry]:
        rows = self._db.execute(
            "SELECT seq, at, kind, alert_id, body, prev, hash FROM audit ORDER BY seq"
        ).fetchall()
        return [AuditEntry(*r) for r in rows]

    def about(self, alert_id: str) -> list[AuditEntry]:
        """The entries of one alert (its events and handling), oldest first."""
        rows = self._db.execute(
            "SELECT seq, at, kind, alert_id, body, prev, hash FROM audit WHERE alert_id = ?"
            " ORDER BY seq",
            (alert_id,),
        ).fetchall()
        return [AuditEntry(*r) for r in rows]

    def head(self) -> dict[str, Any] | None:
        """{"seq", "hash"} of the last entry written."""
        return self._state.get(HEAD)

    def verify(self) -> list[AuditProblem]:
        """Where the chain breaks; empty when every entry is as it was written, in order."""
        entries = self.entries()
        seq_of = {e.hash: e.seq for e in entries}
        problems: list[AuditProblem] = []
        prev_hash, prev_seq = GENESIS, 0
        for e in entries:
            if e.expected_hash() != e.hash:
                problems.append(
                    AuditProblem(
                        e.seq,
                        "edited",
                        f"entry #{e.seq} was changed after it was written "
                        "(its content no longer matches its hash)",
                    )
                )
            elif e.prev != prev_hash:
                problems.append(self._broken(e, prev_seq, seq_of))
            prev_hash, prev_seq = e.hash, e.seq
        head = self.head()
        if head is not None and head.get("hash") != prev_hash and head.get("hash") not in seq_of:
            problems.append(
                AuditProblem(
                    prev_seq + 1,
                    "removed",
                    f"the journal ends at #{prev_seq}, but the last entry written was "
                    f"#{head.get('seq')}: the entries after #{prev_seq} were removed",
                )
            )
        return problems

    @staticmethod
    def _broken(e: AuditEntry, prev_seq: int, seq_of: dict[str, int]) -> AuditProblem:
        if e.prev == GENESIS or e.prev in seq_of:
            after = f"#{seq_of[e.prev]}" if e.prev in seq_of else "nothing (it was the first)"
            return AuditProblem(
                e.seq,
                "reordered",
                f"entry #{e.seq} is out of order: it was written after {after}, "
                f"but stands after #{prev_seq}",
            )
        if e.seq == prev_seq + 1:
            return AuditProblem(
                prev_seq,
                "edited",
                f"entry #{prev_seq} was rewritten (its hash is not the one #{e.seq} recorded)",
            )
        gone = f"#{prev_seq + 1}" if e.seq == prev_seq + 2 else f"#{prev_seq + 1}–#{e.seq - 1}"
        return AuditProblem(
            prev_seq + 1,
            "removed",
            f"entry {gone} was removed (#{e.seq} follows an entry that is no longer there)",
        )
