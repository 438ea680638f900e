"""Every number of a wave's special report (专报), computed from the store: the wave's complaints,
who said it first and where it spread, their tone and categories, and what people did about it.

The wave's complaints are those ``complaints.py`` counts (a watched product named, read as a
complaint by the gate) that name the alert's product, fall in its category when it has one, and
were published from the start of its first window until it ended (or was last updated).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from yujing.alerts import Alert, Handling
from yujing.config import Config
from yujing.detector.mentions import is_complaint
from yujing.records import ScoredPost
from yujing.store import HandlingTimes, Store

from .complaints import SENTIMENTS, person_of, tone_of

__all__ = ["Sighting", "WaveReport", "build_wave_report", "timeline_step"]


@dataclass(frozen=True)
class Sighting:
    """A post as the report cites it."""

    source: str
    author: str | None  # the salted hash, never a name
    published_at: datetime
    url: str
    title: str
    reach: int


@dataclass(frozen=True)
class WaveReport:
    alert: Alert
    name: str  # the product's name
    category: str | None  # the category's name, for a category's wave
    since: datetime
    until: datetime
    posts: int
    people: int
    per_channel: dict[str, int]  # complaints per source, most first
    timeline: dict[str, dict[datetime, int]]  # per source, per step (``timeline_step``)
    step: timedelta
    first: Sighting | None  # 首发: the earliest complaint of the wave
    first_by_channel: dict[str, Sighting]  # when the wave reached each channel, in that order
    tone: dict[str, int]  # SENTIMENTS
    categories: dict[str, int]  # category name -> complaints, most first
    representative: list[Sighting]  # the complaints most seen (reach), at most five
    new_terms: tuple[str, ...]
    handling: list[Handling]
    times: HandlingTimes


def timeline_step(span: timedelta) -> timedelta:
    """Ten minutes for a wave of a few hours, an hour for one of days, a day beyond."""
    if span <= timedelta(hours=6):
        return timedelta(minutes=10)
    if span <= timedelta(days=3):
        return timedelta(hours=1)
    return timedelta(days=1)


def _sighting(scored: ScoredPost) -> Sighting:
    post = scored.post
    return Sighting(
        post.source, post.author, post.published_at, post.url, post.title, post.reach.total()
    )


def _holds(alert: Alert, scored: ScoredPost) -> bool:
    if alert.product not in scored.products:
        return False
    return alert.category is None or alert.category in scored.categories


def _floor(at: datetime, since: datetime, step: timedelta) -> datetime:
    return since + step * ((at - since) // step)


def build_wave_report(store: Store, config: Config, alert_id: str) -> WaveReport:
    """The 专报 of the alert ``alert_id`` names (an id, a series key or an id's start)."""
    found = store.alerts.find(alert_id)
    if len(found) != 1:
        known = "several alerts start so" if found else "no such alert"
        raise ValueError(f"{alert_id!r}: {known}; `yujing status` lists the alerts' ids")
    alert = found[0]
    if alert.kind != "burst":
        raise ValueError(f"{alert.id} is a {alert.kind or 'non-burst'} alert: a 专报 tells a wave")
    since = alert.burst.window_start if alert.burst else alert.started_at
    until = alert.resolved_at or alert.updated_at
    step = timeline_step(until - since)
    names = {c.id: c.name for c in config.categories}
    people: set[str] = set()
    channels: Counter[str] = Counter()
    timeline: dict[str, Counter[datetime]] = defaultdict(Counter)
    tone: Counter[str] = Counter()
    cats: Counter[str] = Counter()
    first_by_channel: dict[str, Sighting] = {}
    sightings: list[Sighting] = []
    for doc in store.posts.published_since(since):
        scored = ScoredPost.from_dict(doc)
        if scored.post.published_at > until:
            break
        if not _holds(alert, scored) or not is_complaint(scored):
            continue
        seen = _sighting(scored)
        sightings.append(seen)
        people.add(person_of(doc))
        channels[seen.source] += 1
        timeline[seen.source][_floor(seen.published_at, since, step)] += 1
        tone[tone_of(scored.sentiment)] += 1
        cats.update(names.get(c, c) for c in scored.categories)
        first_by_channel.setdefault(seen.source, seen)
    steps = [since + step * i for i in range((until - since) // step + 1)]
    product_names = {p.id: p.name for p in config.products}
    return WaveReport(
        alert=alert,
        name=product_names.get(alert.product, alert.product),
        category=names.get(alert.category, alert.category) if alert.category else None,
        since=since,
        until=until,
        posts=len(sightings),
        people=len(people),
        per_channel=dict(channels.most_common()),
        timeline={s: {t: timeline[s].get(t, 0) for t in steps} for s in sorted(timeline)},
        step=step,
        first=sightings[0] if sightings else None,
        first_by_channel=first_by_channel,
        tone={t: tone.get(t, 0) for t in SENTIMENTS},
        categories=dict(cats.most_common()),
        representative=sorted(sightings, key=lambda s: (-s.reach, s.published_at))[:5],
        new_terms=tuple(t for t in alert.labels.get("new_terms", "").split(",") if t),
        handling=store.handling.of(alert.id),
        times=store.handling.times(alert.id),
    )
