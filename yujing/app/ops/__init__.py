"""What people do to alerts, one way whoever asks: the command line, a console, an HTTP API.

``ingest`` (transcript files stored once) is the module ``ops.ingest``: it loads the whole
understanding stack, which the other operations do without. Silences are ``ops.silences``.

Each operation checks what it is given, does its work in the store in one transaction (the
record, the audit journal, the notifications it causes) and returns what happened; it prints
nothing. A request that cannot be done raises ``OpsError`` with a message for the person who
asked and the exit code a command gives for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from yujing.alerts import Action, Alert, Handling
from yujing.config import Config
from yujing.notifier.handling import tell_handling
from yujing.records import utcnow
from yujing.store import HandlingTimes, Store

from .common import OpsError, user_text
from .silences import MAX_SILENCE, add_silence, expire_silence, keep_silence

__all__ = [
    "OpsError",
    "Handled",
    "Record",
    "find_alert",
    "handle",
    "record_of",
    "add_silence",
    "keep_silence",
    "expire_silence",
    "MAX_SILENCE",
]


@dataclass(frozen=True, slots=True)
class Handled:
    handling: Handling
    alert: Alert
    receivers: list[str]  # told of the action; empty when none had been told of the alert


@dataclass(frozen=True, slots=True)
class Record:
    alert: Alert
    actions: list[Handling]
    times: HandlingTimes


def find_alert(store: Store, ref: str) -> Alert:
    """The one alert ``ref`` names: its id, its series key or the start of its id."""
    found = store.alerts.find(ref)
    if len(found) == 1:
        return found[0]
    if not found:
        raise OpsError(f"no alert {ref!r} (yujing status lists the open ones)", 1)
    ids = ", ".join(a.id for a in found)
    raise OpsError(f"{ref!r} names several alerts ({ids}); give the whole id", 1)


def handle(
    store: Store,
    config: Config,
    ref: str,
    action: Action,
    *,
    by: str,
    why: str = "",
    to: str = "",
    false_alarm: str | None = None,
    via: str = "cli",
    at: datetime | None = None,
) -> Handled:
    """Ack, assign, note or resolve an alert (``false_alarm``: resolved as one, and why): kept in
    the store with the alert's times, written to the audit journal (with ``via``, where it was
    done) and queued for the receivers that were told of the alert."""
    clean = user_text(config)
    if false_alarm is not None and not false_alarm.strip():
        raise OpsError("say why it was a false alarm (--false-alarm REASON)")
    reason = clean(false_alarm) if false_alarm is not None else None
    said = clean(why)
    if reason is not None:  # what people read: 张三 已处理完毕：误报：…
        said = f"误报：{reason}" + (f"；{said}" if said else "")
    try:  # checked before anything is looked up
        draft = Handling(ref, action, clean(by), at or utcnow(), said, clean(to))
    except ValueError as exc:
        raise OpsError(str(exc)) from None
    alert = find_alert(store, ref)
    handling = replace(draft, alert_id=alert.id)
    entry = {**handling.to_dict(), "via": via}
    with store.transaction():
        store.handling.add(handling)
        if reason is not None:
            store.handling.mark_false_alarm(alert.id, reason)
            entry["false_alarm"] = reason
        store.audit.append("handling", alert.id, entry, handling.at)
        receivers = tell_handling(store, handling, alert, false_alarm=reason)
    return Handled(handling, alert, receivers)


def record_of(store: Store, ref: str) -> Record:
    """The alert ``ref`` names, its handling actions and its times."""
    alert = find_alert(store, ref)
    return Record(alert, store.handling.of(alert.id), store.handling.times(alert.id))
