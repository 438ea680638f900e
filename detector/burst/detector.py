"""Burst detection: a product (or one complaint category of it) suddenly talked about far more
than its own usual, on a quiet product as well as a busy one.

Streaming. The daemon and ``yujing replay`` drive the same object: ``observe(scored_post)`` (or
``observe_count``) for every accepted post, then ``evaluate(products, now)`` now and then. Nothing
is re-read from SQLite to evaluate, and nothing grows with the number of posts: per series there is
a ring of bucket counts, details (people, sources, reach, ...) of the buckets inside the window, a
learned baseline of a few dozen floats (``detector.baseline``), and per product a bounded table of
emerging terms (``detector.emerging``).

The burst test itself, per series, is in ``series``; who posted and how is in ``details``; the
alert people read in ``alert``; what is said beside alerts (a late wave, a series too new to
judge) in ``tell``.

Lifecycle of one wave (one alert id, ``burst:<product>[/<category>]@<fired>``):

* not firing and hot                     -> firing;
* firing and hot, window count above the
  wave's peak so far, or severity higher -> updated (escalated when severity rose); severity never
                                            drops within a wave and a count sliding down as posts
                                            age out of the window is not news, so neither emits;
* firing and not even mildly elevated (p > 0.01) for a whole window -> resolved. The hold-down
  keeps a wave that pauses for a few minutes one alert instead of a flood.

Hysteresis beyond the hold-down lives in the series (``series``): a wave elevated for three
windows is a new level and its level becomes the usual, so it resolves instead of alarming for
days; a resolved wave's peak (and, for a series that bursts again and again, its recent waves'
peaks) is what the next wave must beat, so a wave's tail does not fire a second alert.

Categories. Each product x category is a series of its own, evaluated after its product's whole
series, so the product alert comes first: its reasons name the leading categories. A category
alert (``category`` set) shows a problem hidden in a busy product's normal chatter. The detector
reports every series that bursts; keeping a product's category alerts quiet while the whole
product fires is the notifier's job (``notify.inhibit_rules``, as in Alertmanager).

People. A burst is a 群体投诉 only when several people make it. One person's complaints count
towards a burst at most ``PER_PERSON`` times in a window (a thread and a follow-up; the rest are
the same voice again, kept in the details but not counted), so one angry customer cannot make a
busy product's window hot either. A hot window whose details count fewer than ``min_people``
complainants (``details``: named authors and callers; posts
without an author never make a group) fires nothing, and is looked at again at the next
evaluation, when more people may have joined. One person posting again and again is told apart,
as a ``repeat`` alert (``repeat``), once per spell. A series replayed from counts alone
(``observe_count``) has no posts to tell people by and is judged on its counts.

State across restarts is ``memory``'s: saved, restored and caught up with the store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

from yujing.alerts import Alert
from yujing.config import Config, Detection
from yujing.records import ScoredPost
from yujing.store import Store

from ..details import Details
from ..emerging import EmergingTerms
from ..mentions import Mentions, is_complaint
from ..series import EXPECTED_FLOOR, Look, Series, Wave, bucket_of
from ..signals import collective_terms_in
from ..understand import dated
from .alert import KIND, Alerting
from .memory import STATE_KEY, Memory
from .repeat import RepeatWatch
from .severity import back_to_usual, grade
from .tell import Telling

__all__ = ["BurstDetector", "detector_for", "utc_offset", "KIND", "EXPECTED_FLOOR", "STATE_KEY"]

log = logging.getLogger("yujing.detector")

PER_PERSON = 2  # complaints of one person in a window that count towards a burst


def _posts_of(s: Series, author: str, b: int) -> int:
    """``author``'s complaints in ``s`` in the window ending with bucket ``b``."""
    a = author[:12]
    return sum(d.authors.get(a, 0) for k, d in s.details.items() if b - s.w <= k <= b)


def detector_for(config: Config, store: Store | None) -> BurstDetector:
    """The detector a config describes: the daemon, replay and the benchmark all use this one."""
    return BurstDetector(
        config.detection,
        store,
        product_terms={p.id: p.terms() for p in config.products},
        category_names={c.id: c.name for c in config.categories},
        utc_offset=utc_offset(config.tz),
    )


def utc_offset(tz: tzinfo) -> float:
    """Seconds east of UTC of the config's zone, for the detector's calendar: an hour of the day
    and a weekend are the users' own (Saturday in Shanghai starts at 16:00 UTC on Friday). A zone
    with daylight saving is read at its standard offset: the calendar moves by an hour for half
    of the year, which the hour-of-day profile absorbs."""
    jan = datetime(2026, 1, 15, 12, tzinfo=UTC).astimezone(tz).utcoffset()
    jul = datetime(2026, 7, 15, 12, tzinfo=UTC).astimezone(tz).utcoffset()
    return min(jan or timedelta(0), jul or timedelta(0)).total_seconds()


class BurstDetector(Memory, Telling, Alerting):
    def __init__(
        self,
        detection: Detection,
        store: Store | None,
        *,
        product_terms: Mapping[str, Iterable[str]] | None = None,
        category_names: Mapping[str, str] | None = None,
        persist: bool = True,
        utc_offset: float = 0.0,
    ):
        self.detection = detection
        self.utc_offset = utc_offset
        # Reasons are read by people: 理赔难/拒赔, not the config id "claims".
        self.category_names = dict(category_names or {})
        self.store = store
        self.persist = persist and store is not None
        # Names and aliases of products are not "new terms" even for a product just added.
        self.product_terms = {p: tuple(t) for p, t in (product_terms or {}).items()}
        self.series: dict[str, Series] = {}
        self.by_product: dict[str, list[Series]] = {}
        self.terms: dict[str, EmergingTerms] = {}
        self.mentions = Mentions()
        self.repeats = RepeatWatch()
        self.few: set[str] = set()  # series whose burst is held back for too few people
        self.cursor = 0  # posts rowid covered by the in-memory state
        self.amended = 0  # post amendments covered by it (``memory``)
        self._saved_at: float | None = None
        # Per series, the last late wave said (first bucket, last bucket): the rest of it,
        # coming in a later export, is added to it, not said again.
        self._told_late: dict[str, tuple[int, int]] = {}
        if store is not None:
            self._restore(store)
            if self.cursor and not isinstance(store.state.get(STATE_KEY), dict):
                # A first start learns the stored history as history, by design: none of it
                # "came late". Posts that came while a saved detector was down still did.
                for s in self.series.values():
                    s.learned_late.clear()

    # ------------------------------------------------------------ feeding

    def _series(self, product: str, category: str | None, b: int) -> Series:
        key = f"{KIND}:{product}" + (f"/{category}" if category else "")
        s = self.series.get(key)
        if s is None:
            # Its history starts when the product was being named in posts, not at its first
            # complaint: since then no complaint meant none, and a product's (or a category's)
            # first complaints ever can be a wave against that history.
            origin = self.mentions.named_since(product, b)
            rule = self.detection.rule_for(product)
            s = Series(key, product, category, rule, origin, self.utc_offset)
            self.series[key] = s
            self.by_product.setdefault(product, []).append(s)
        return s

    def observe(self, scored: ScoredPost) -> None:
        """Count one accepted complaint under each product (and product x category) it names;
        any other post only as a mention of its products (``mentions``)."""
        if not scored.products:
            return
        post = scored.post
        ts = post.published_at.timestamp()
        complaint = is_complaint(scored)
        terms = collective_terms_in(f"{post.title} {post.text}") if scored.collective else []
        for product in scored.products:
            rule = self.detection.rule_for(product)
            b = bucket_of(ts, rule.bucket)
            self.mentions.add(product, b)
            if not complaint:
                continue
            for category in (None, *scored.categories):
                s = self._series(product, category, b)
                # A person's third complaint in a window is the same voice again: it is kept
                # (who posted how often) but does not count towards a burst.
                counts = not post.author or _posts_of(s, post.author, b) < PER_PERSON
                if counts:
                    held = s.add(b, 1)
                else:
                    s.advance(b)  # the clock moves as with any post
                    held = True
                if held and b > s.head - s.w - 2:
                    s.details.setdefault(b, Details()).add(scored, terms)
                if s.wave is not None and post.published_at >= s.wave.window_start:
                    s.wave.details.add(scored, terms, keep_samples=False)
            et = self.terms.get(product)
            if et is None:
                et = self.terms[product] = EmergingTerms(
                    rule.window, rule.baseline, self.product_terms.get(product, ())
                )
            et.observe(f"{post.title} {post.text}", ts)

    def amend(self, was: ScoredPost, now: ScoredPost | None) -> set[str]:
        """A post counted as ``was`` is now known as ``now``, a richer record of it (its author,
        its reach): where it was counted, it is now counted as posted by ``now``'s author. Its
        count, bucket and series stay: it is the same post. ``now`` None: ``was`` was a second
        record of a post counted already (two records merged), and is taken back. Returns the
        products touched."""
        if not was.products or not is_complaint(was):
            return set()
        ts = dated(was.post).timestamp()
        terms = []
        if now is None and was.collective:
            terms = collective_terms_in(f"{was.post.title} {was.post.text}")
        for product in was.products:
            for category in (None, *was.categories):
                s = self.series.get(f"{KIND}:{product}" + (f"/{category}" if category else ""))
                if s is None:
                    continue
                b = bucket_of(ts, s.rule.bucket)
                counted = [s.details.get(b)]
                if s.wave is not None and ts >= s.wave.window_start.timestamp():
                    counted.append(s.wave.details)
                for details in filter(None, counted):
                    if now is None:
                        details.remove(was, terms)
                    else:
                        details.amend(was, now)
                if now is None:
                    s.take_back(b)
        return set(was.products)

    def observe_count(
        self,
        product: str,
        at: datetime,
        value: int,
        category: str | None = None,
        *,
        measurement: bool = False,
    ) -> None:
        """Count ``value`` posts at ``at`` without their details (replaying a counts series);
        ``measurement``: the values are scaled readings, not counts (see ``Series.measurement``)."""
        rule = self.detection.rule_for(product)
        b = bucket_of(at.timestamp(), rule.bucket)
        s = self._series(product, category, b)
        s.measurement = s.measurement or measurement
        s.add(b, int(value))

    def observe_gap(
        self, product: str, first: datetime, last: datetime, category: str | None = None
    ) -> None:
        """No data from ``first`` to ``last`` (a replayed series' outage): not zero posts."""
        rule = self.detection.rule_for(product)
        b0 = bucket_of(first.timestamp(), rule.bucket)
        self._series(product, category, b0).gap(b0, bucket_of(last.timestamp(), rule.bucket))

    # ------------------------------------------------------------ evaluating

    def evaluate(self, products: Iterable[str], now: datetime) -> list[Alert]:
        """Alert events for ``products`` at ``now``: new, updated or resolved alerts."""
        if now.tzinfo is None:
            raise ValueError("evaluate needs a timezone-aware now")
        now = now.astimezone(UTC)
        events: list[Alert] = []
        for product in dict.fromkeys(products):
            # The whole product first: its alert is saved (and is an inhibit rule's source)
            # before any of its category alerts is sent.
            series = sorted(self.by_product.get(product, ()), key=lambda s: s.category is not None)
            for s in series:
                self._tell_late(s, now)
                events.extend(self._evaluate_series(s, now))
        self._maybe_checkpoint(now)
        return events

    def _evaluate_series(self, s: Series, now: datetime) -> list[Alert]:
        look = s.look(now)
        events = self._wave_events(s, look, now)
        if s.category is None:  # one person's posts, once per product
            events += self.repeats.evaluate(s.product, s.rule, look.window, now)
        return events

    def _wave_events(self, s: Series, look: Look, now: datetime) -> list[Alert]:
        wave = s.wave
        if wave is None:
            if not look.hot:
                self._tell_unjudged(s, look)
                self.few.discard(s.key)
                return []
            if not self._a_group(s, look):
                return []
            details = Details()
            details.merge(look.window)
            alert_id = self._wave_id(s, look.bucket, now)
            sig = self._signals(s, look, details, 0.0, now)
            sev = grade(sig)
            alert = self._alert(s, alert_id, now, sev, look, sig, now)
            s.wave = Wave(alert, look.count, details)
            return [alert]
        hold = timedelta(seconds=s.rule.window)
        wave.quiet_since = None if look.elevated else (wave.quiet_since or now)
        wave.cool_since = None if look.hot else (wave.cool_since or now)
        # Back to usual for a whole window; or no longer a burst for three (a product whose
        # level has moved up for good must not keep one alert open for ever).
        if (wave.quiet_since and now - wave.quiet_since >= hold) or (
            wave.cool_since and now - wave.cool_since >= 3 * hold
        ):
            s.resolved(now, wave.peak)
            burst = wave.alert.burst
            resolved = wave.alert.resolve(
                now,
                reason=back_to_usual(look.count, look.expected, s.rule.window),
                burst=replace(burst, series=look.series) if burst is not None else None,
            )
            return [resolved]
        if not look.hot:
            return []
        started = wave.alert.started_at
        sig = self._signals(s, look, wave.details, (now - started).total_seconds(), now)
        severity = max(grade(sig), wave.alert.severity, key=lambda v: v.rank)
        if look.count <= wave.peak and severity == wave.alert.severity:
            return []
        wave.peak = max(wave.peak, look.count)
        alert = self._alert(s, wave.alert.id, started, severity, look, sig, now)
        wave.alert = alert
        return [alert]

    def _a_group(self, s: Series, look: Look) -> bool:
        """Whether a hot window's complaints come from at least ``min_people`` people; said
        once in the log when they do not (a burst of one person, or of anonymous posts)."""
        win = look.window
        if win.posts == 0 or win.complainants >= s.rule.min_people:
            self.few.discard(s.key)
            return True  # no posts to tell people by (replayed counts): the counts decide
        if s.key not in self.few:
            self.few.add(s.key)
            log.info(
                "%s: %d complaints in the last %g min from %d complainant(s) and %d anonymous "
                "post(s); not a group complaint until %d people complain",
                s.key.split(":", 1)[1],
                look.count,
                s.rule.window / 60,
                win.complainants,
                win.anonymous,
                s.rule.min_people,
            )
        return False

    def _wave_id(self, s: Series, bucket: int, now: datetime) -> str:
        """A new wave's id: named after its onset in the posts, so a peer daemon names it
        alike; after when it was seen if an earlier wave has that name already (its memory
        of that wave was lost with a checkpoint), since an id is one wave's for good."""
        alert_id = f"{s.key}@{s.onset(bucket):%Y%m%dT%H%M%SZ}"
        if self.store is not None and self.store.alerts.get(alert_id) is not None:
            alert_id = f"{s.key}@{now:%Y%m%dT%H%M%SZ}"
        return alert_id
