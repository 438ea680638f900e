"""``yujing replay --store``: what a changed config would have raised on the stored history.

An admin tunes thresholds on the last month before changing production (as ElastAlert's
test-rule does, but on the real history): the posts the store holds, published since ``since``,
are understood again under the NEW config (its products, categories and redaction) and replayed
through the same detector and lifecycle as ``--posts``. The store is only read; alerts, outbox and
detector state are left as they are, so this is safe beside a running daemon.

The posts come as the daemon took them: in the order they were fetched, each counted once it
was fetched, so replay and the running daemon agree on the same store. A post that arrived after its
window (a late export, times read in the wrong zone) is learned as history here as it was there,
and the detector says so. ``as_published`` replays each post as if it had arrived when it was
published instead: what the config would raise on a store fed on time (history ingested in bulk,
say). Every stored post counts, as it did for the daemon: the store holds each post once already,
its other channels linked to it.

What people said about the alerts of the period is the test the changed config must pass: per
rule (alert kind), how many alerts marked false alarms (``yujing alert resolve --false-alarm``) it
would still raise, and how many kept alerts (acknowledged and not marked false) it would lose. A
replayed alert is a stored one when it is of the same series and their times overlap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from yujing.alerts import Alert
from yujing.config import Config
from yujing.records import Post, ScoredPost, parse_time, utcnow
from yujing.store import Store

from ..source_health import KIND as SOURCE_KIND
from ..understand import understander_for
from .common import Emit, Say, logged
from .posts import PostReplay

__all__ = ["StoreReplay", "Verdicts", "judge", "replay_store"]

# Source-health alerts come from crawl runs, which a replay of posts does not see.
NOT_REPLAYED = frozenset({SOURCE_KIND})


@dataclass(frozen=True, slots=True)
class StoreReplay:
    """What a replay of the store did: posts replayed, alert events emitted, and what the
    changed config does to the alerts people judged (None when no post was replayed)."""

    posts: int
    events: int
    verdicts: Verdicts | None


def replay_store(
    config: Config,
    path: Path,
    since: float | None,
    emit: Emit,
    *,
    now: datetime | None = None,
    as_published: bool = False,
    say: Say = logged,
) -> StoreReplay:
    """Replay the posts published in the last ``since`` seconds (all, when None), read from the
    store as they come (in batches, never copied); a stored post that cannot be read is named to
    ``say``."""
    cutoff = (now or utcnow()) - timedelta(seconds=since) if since else None
    store = Store(path, readonly=True)  # not even a schema upgrade: production's to make
    spans: dict[str, _Span] = {}

    def seen(event: dict[str, Any]) -> None:
        span = spans.setdefault(event["id"], _Span(event["key"], event.get("kind") or ""))
        span.add(parse_time(event["started_at"]), parse_time(event["updated_at"]))
        emit(event)

    replay = PostReplay(config, seen)
    posts = 0
    verdicts = None
    try:
        for arrived, scored in _stored(config, store, path, cutoff, as_published, say):
            replay.feed(arrived, scored)
            posts += 1
        events = replay.finish() if posts else 0
        if posts:
            verdicts = judge(_judged(store, cutoff), spans.values())
    finally:
        store.close()
    return StoreReplay(posts, events, verdicts)


def _stored(
    config: Config,
    store: Store,
    path: Path,
    cutoff: datetime | None,
    as_published: bool,
    say: Say,
) -> Iterator[tuple[float, ScoredPost]]:
    """(when the post arrived, the post understood under ``config``), in arrival order."""
    understander = understander_for(config)
    if as_published:
        docs = store.posts.published_since(cutoff)
    else:
        docs = store.posts.fetched_since(cutoff)
    clock = 0.0
    for doc in docs:
        try:
            scored = understander.understand(Post.from_dict(doc))
        except (KeyError, TypeError, ValueError) as exc:
            say(f"{path}: skipped stored post {doc.get('id')}: {exc}")
            continue
        post = scored.post
        arrived = post.published_at if as_published else post.fetched_at
        # A clock set back on one fetch does not send the daemon's clock back.
        clock = max(clock, arrived.timestamp())
        yield clock, scored


@dataclass(slots=True)
class _Span:
    """One replayed alert: its series, kind and the time it was open."""

    key: str
    kind: str
    start: datetime | None = None
    end: datetime | None = None

    def add(self, start: datetime, at: datetime) -> None:
        self.start = start if self.start is None else min(self.start, start)
        self.end = at if self.end is None else max(self.end, at)

    def overlaps(self, alert: Alert) -> bool:
        assert self.start is not None and self.end is not None
        end = alert.resolved_at or alert.updated_at
        return self.key == alert.key and self.start <= end and alert.started_at <= self.end


@dataclass(slots=True)
class Tally:
    false_alarms: list[str] = field(default_factory=list)  # marked false, of the period
    still_raised: list[str] = field(default_factory=list)  # ... the new config raises again
    kept: list[str] = field(default_factory=list)  # acknowledged, not marked false
    lost: list[str] = field(default_factory=list)  # ... the new config does not raise


@dataclass(slots=True)
class Verdicts:
    """Per rule (alert kind), what a replay did to the alerts people judged."""

    kinds: dict[str, Tally] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        for kind, t in sorted(self.kinds.items()):
            out.append(
                f"{kind}: {len(t.still_raised)} of {len(t.false_alarms)} alert(s) marked false "
                f"alarms would still be raised; {len(t.lost)} of {len(t.kept)} kept alert(s) "
                "(acknowledged, not marked false) would be lost"
            )
            out += [f"  still raised: {alert_id}" for alert_id in t.still_raised]
            out += [f"  lost: {alert_id}" for alert_id in t.lost]
        return out


def _judged(store: Store, cutoff: datetime | None) -> list[tuple[Alert, bool]]:
    """The period's alerts people judged: (alert, marked a false alarm)."""
    verdicts = store.handling.verdicts()
    judged = []
    for alert in store.alerts.all():
        times = verdicts.get(alert.id)
        if times is None or alert.kind in NOT_REPLAYED:
            continue
        if cutoff is not None and alert.started_at < cutoff:
            continue
        judged.append((alert, times.false_alarm is not None))
    return judged


def judge(judged: Iterable[tuple[Alert, bool]], replayed: Iterable[_Span]) -> Verdicts:
    """Which judged alerts the replayed ones raise again: same series, overlapping times."""
    spans = list(replayed)
    verdicts = Verdicts()
    for alert, false_alarm in judged:
        tally = verdicts.kinds.setdefault(alert.kind, Tally())
        raised = any(span.overlaps(alert) for span in spans)
        if false_alarm:
            tally.false_alarms.append(alert.id)
            if raised:
                tally.still_raised.append(alert.id)
        else:
            tally.kept.append(alert.id)
            if not raised:
                tally.lost.append(alert.id)
    return verdicts
