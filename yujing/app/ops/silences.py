"""Silences, one way whoever asks (``yujing silence``, the Alertmanager API): checked, kept in
the store and written to the audit journal (with ``via``, where it was done) in one
transaction; the running daemon honours a silence the moment it is kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from yujing.alerts import Silence
from yujing.config import Config, parse_duration
from yujing.config.labels import matcher_problem
from yujing.records import utcnow
from yujing.store import Store

from .common import OpsError, user_text

__all__ = ["MAX_SILENCE", "add_silence", "expire_silence", "keep_silence"]

MAX_SILENCE = 366 * 86400.0  # seconds; past it a silence is a route written in the wrong place
AUDIT_KIND = "silence"  # the audit journal's kind of entry; a silence is about no one alert


def add_silence(
    store: Store,
    config: Config,
    matchers: list[str],
    *,
    duration: str,
    author: str,
    comment: str,
    at: datetime | None = None,
    via: str = "cli",
) -> Silence:
    """A silence of ``matchers`` from now for ``duration`` ("2h"); see ``keep_silence``."""
    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        raise OpsError(f"--duration: {exc}") from None
    if seconds > MAX_SILENCE:
        raise OpsError(
            f"--duration: {duration} is longer than a year; a silence is for a while: to mute "
            "alerts for good, route them to no receiver (notify.route) instead"
        )
    now = at or utcnow()
    return keep_silence(
        store,
        config,
        matchers,
        starts_at=now,
        ends_at=now + timedelta(seconds=seconds),
        author=author,
        comment=comment,
        at=now,
        via=via,
    )


def keep_silence(
    store: Store,
    config: Config,
    matchers: list[str],
    *,
    starts_at: datetime,
    ends_at: datetime,
    author: str,
    comment: str,
    via: str,
    replaces: str | None = None,
    at: datetime | None = None,
) -> Silence:
    """A silence of ``matchers`` from ``starts_at`` to ``ends_at``, kept in the store; each
    matcher checked against the labels alerts carry, since a typo would silence nothing and
    nobody would notice. ``replaces``: the id of a silence this one takes the place of (it is
    expired in the same transaction), as Alertmanager updates one."""
    now = at or utcnow()
    problems = [f"{m}: {p}" for m in matchers if (p := matcher_problem(m, config))]
    if not matchers:
        problems.append("give at least one matcher: a silence of nothing would mute everything")
    if problems:
        raise OpsError("\n".join(problems))
    clean = user_text(config)
    who, why = clean(author).strip(), clean(comment).strip()
    if not who or not why:
        raise OpsError("say who silences (author) and why (comment): both are kept with it")
    if ends_at <= max(starts_at, now):
        raise OpsError("the silence ends before it would start (or is over already): end it later")
    if (ends_at - max(starts_at, now)).total_seconds() > MAX_SILENCE:
        raise OpsError(
            "a silence is for a while, up to a year: to mute alerts for good, route them to no "
            "receiver (notify.route) instead"
        )
    try:
        draft = Silence(tuple(matchers), starts_at, ends_at, who, why)
    except ValueError as exc:
        raise OpsError(str(exc)) from None
    with store.transaction():
        # Replacing a silence that is over already just adds the new one, as Alertmanager does.
        if replaces is not None and not _over(store, replaces, now):
            _expire(store, replaces, now, via, replaced=True)
        silence = replace(draft, id=store.silences.add(draft))
        _journal(store, "add", silence, now, via, replaces=replaces)
    return silence


def expire_silence(
    store: Store, silence_id: str, at: datetime | None = None, *, via: str = "cli"
) -> Silence:
    """End a silence now (one not yet started never runs); returns it as it now stands."""
    with store.transaction():
        return _expire(store, silence_id, at or utcnow(), via)


def _expire(
    store: Store, silence_id: str, now: datetime, via: str, replaced: bool = False
) -> Silence:
    if not store.silences.expire(silence_id, now):
        if replaced and store.silences.get(silence_id) is not None:
            raise OpsError(f"silence {silence_id!r} is over already: add a new one instead", 2)
        raise OpsError(f"no active silence {silence_id!r} (yujing silence list)", 1)
    silence = store.silences.get(silence_id)
    assert silence is not None  # just expired
    _journal(store, "expire", silence, now, via)
    return silence


def _over(store: Store, silence_id: str, now: datetime) -> bool:
    silence = store.silences.get(silence_id)
    return silence is not None and silence.ends_at <= now


def _journal(
    store: Store, action: str, silence: Silence, at: datetime, via: str, **more: Any
) -> None:
    entry = {"action": action, **silence.to_dict(), "via": via}
    entry.update({k: v for k, v in more.items() if v is not None})
    store.audit.append(AUDIT_KIND, "", entry, at)
