"""Chat conversations: per receiver and alert, the one message a wave is told in.

A receiver that edits its message as the wave changes (Slack) keeps the message's id here, so
edits and thread replies survive a restart. Before a send leaves it notes the event as
``sending``; once the service has answered, ``told``. A ``sending`` left behind says a send may
have arrived without its answer being kept (a timeout, a crash), so the receiver looks for it in
the channel before sending again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from yujing.records import format_time, utcnow

__all__ = ["ChatMessage", "ChatMessages"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    receiver: str
    alert_id: str
    channel: str = ""
    ts: str | None = None
    told: str | None = None
    sending: str | None = None
    sending_since: float | None = None


class ChatMessages:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def get(self, receiver: str, alert_id: str) -> ChatMessage | None:
        row = self._db.execute(
            "SELECT channel, ts, told, sending, sending_since FROM chat_messages"
            " WHERE receiver=? AND alert_id=?",
            (receiver, alert_id),
        ).fetchone()
        return ChatMessage(receiver, alert_id, *row) if row else None

    def sending(self, receiver: str, alert_id: str, event: str, since: float) -> None:
        """Note that ``event`` is about to leave: from here on it may have arrived."""
        self._db.execute(
            "INSERT INTO chat_messages(receiver, alert_id, sending, sending_since, updated_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT(receiver, alert_id) DO UPDATE SET"
            " sending=excluded.sending, sending_since=excluded.sending_since,"
            " updated_at=excluded.updated_at",
            (receiver, alert_id, event, since, format_time(utcnow())),
        )

    def posted(self, receiver: str, alert_id: str, channel: str, ts: str) -> None:
        """The wave's message exists: its channel and id (the event is not told yet)."""
        self._db.execute(
            "INSERT INTO chat_messages(receiver, alert_id, channel, ts, updated_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT(receiver, alert_id) DO UPDATE SET"
            " channel=excluded.channel, ts=excluded.ts, updated_at=excluded.updated_at",
            (receiver, alert_id, channel, ts, format_time(utcnow())),
        )

    def told(self, receiver: str, alert_id: str, event: str) -> None:
        """``event`` has been delivered in full; nothing is in doubt any more."""
        self._db.execute(
            "UPDATE chat_messages SET told=?, sending=NULL, sending_since=NULL, updated_at=?"
            " WHERE receiver=? AND alert_id=?",
            (event, format_time(utcnow()), receiver, alert_id),
        )

    def channel(self, receiver: str) -> str:
        """The channel id this receiver's messages were last posted to ('' when none yet)."""
        row = self._db.execute(
            "SELECT channel FROM chat_messages WHERE receiver=? AND channel != ''"
            " ORDER BY updated_at DESC LIMIT 1",
            (receiver,),
        ).fetchone()
        return str(row[0]) if row else ""
