"""Burst detection: a product (or one complaint category of it) suddenly talked about far more
than its own usual, on a quiet product as well as a busy one.

Streaming. The daemon and ``yujing replay`` drive the same object: ``observe(scored_post)`` (or
``observe_count``) for every accepted post, then ``evaluate(products, now)`` now and then. Nothing
is re-read from SQLite to evaluate, and nothing grows with the number of posts: per series there is
a ring of bucket counts, details (people, sources, reach, ...) of the buckets inside the window, a
learned baseline of a few dozen floats (``detector.baseline``), and per product a bounded table of
emerging terms (``detector.emerging``).

The burst test itself, per series, is in ``series``; who posted and how is in ``details``.

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

State across restarts is ``memory``'s: saved, restored and caught up with the store.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

from yujing.alerts import Alert, AlertState, BurstFacts, Severity
from yujing.config import Config, Detection
from yujing.records import ScoredPost, format_time
from yujing.store import Store

from .details import Details
from .emerging import EmergingTerms
from .memory import STATE_KEY, Memory
from .mentions import Mentions, is_complaint
from .series import EXPECTED_FLOOR, Look, Series, Wave, bucket_of
from .severity import Signals, back_to_usual, grade, reasons
from .signals import collective_terms_in

__all__ = ["BurstDetector", "detector_for", "utc_offset", "KIND", "EXPECTED_FLOOR", "STATE_KEY"]

log = logging.getLogger("yujing.detector")

KIND = "burst"


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


class BurstDetector(Memory):
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
        self.cursor = 0  # posts rowid covered by the in-memory state
        self._saved_at: float | None = None
        if store is not None:
            self._restore(store)

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
                if s.add(b, 1) and b > s.head - s.w - 2:
                    s.details.setdefault(b, Details()).add(scored, terms)
                if s.wave is not None and post.published_at >= s.wave.window_start:
                    s.wave.details.add(scored, terms, keep_samples=False)
            et = self.terms.get(product)
            if et is None:
                et = self.terms[product] = EmergingTerms(
                    rule.window, rule.baseline, self.product_terms.get(product, ())
                )
            et.observe(f"{post.title} {post.text}", ts)

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
                events.extend(self._evaluate_series(s, now))
        self._maybe_checkpoint(now)
        return events

    def _evaluate_series(self, s: Series, now: datetime) -> list[Alert]:
        look = s.look(now)
        wave = s.wave
        if wave is None:
            if not look.hot:
                self._tell_unjudged(s, look)
                return []
            details = Details()
            details.merge(look.window)
            alert_id = self._wave_id(s, look.bucket, now)
            sig = self._signals(s, look, details, 0.0)
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
        sig = self._signals(s, look, wave.details, (now - started).total_seconds())
        severity = max(grade(sig), wave.alert.severity, key=lambda v: v.rank)
        if look.count <= wave.peak and severity == wave.alert.severity:
            return []
        wave.peak = max(wave.peak, look.count)
        alert = self._alert(s, wave.alert.id, started, severity, look, sig, now)
        wave.alert = alert
        return [alert]

    @staticmethod
    def _tell_unjudged(s: Series, look: Look) -> None:
        """Say, once, that complaints pile up in a series too new to be judged: silence there
        is not "nothing unusual", and an admin can give it history."""
        if look.judged:
            s.told_unjudged = False
            return
        if s.told_unjudged or look.count < s.rule.min_count:
            return
        s.told_unjudged = True
        log.warning(
            "%s: %d complaints in the last %g min, with no history before them to judge them "
            "by; judged from %s on (ingest past exports to give it history)",
            s.key.split(":", 1)[1],
            look.count,
            s.rule.window / 60,
            format_time(s.judged_from),
        )

    def _wave_id(self, s: Series, bucket: int, now: datetime) -> str:
        """A new wave's id: named after its onset in the posts, so a peer daemon names it
        alike; after when it was seen if an earlier wave has that name already (its memory
        of that wave was lost with a checkpoint), since an id is one wave's for good."""
        alert_id = f"{s.key}@{s.onset(bucket):%Y%m%dT%H%M%SZ}"
        if self.store is not None and self.store.alerts.get(alert_id) is not None:
            alert_id = f"{s.key}@{now:%Y%m%dT%H%M%SZ}"
        return alert_id

    def _signals(self, s: Series, look: Look, wave: Details, seconds: float) -> Signals:
        rule = s.rule
        win = look.window
        # The wave's details include its window's: it starts from them and gains every new post.
        people = max(wave.complainants, win.complainants)
        terms = wave.terms
        cats = win.categories if s.category is None else Counter()
        new_terms = ()
        et = self.terms.get(s.product)
        if et is not None:
            new_terms = tuple(et.top(look.window_start.timestamp() + rule.window))
        return Signals(
            count=look.count,
            expected=look.expected,
            per_day=s.baseline.per_day(),
            p_value=look.p,
            window=rule.window,
            min_count=rule.min_count,
            cold=look.cold,
            wave_seconds=seconds,
            wave_posts=max(wave.posts, win.posts),
            complainants=people,
            anonymous=max(wave.anonymous, win.anonymous),
            same_text_accounts=max(wave.same_text_accounts, win.same_text_accounts),
            sources=len(wave.sources | win.sources),
            reach=max(wave.reach, win.reach),
            collective=max(wave.collective, win.collective),
            collective_terms=tuple(Counter(terms).most_common(3)),
            negative=win.negative,
            growth=look.growth,
            previous=look.previous,
            categories=tuple((self.category_names.get(c, c), k) for c, k in cats.most_common(3)),
            new_terms=new_terms,
            mentions=self.mentions.between(s.product, look.bucket - s.w, look.bucket),
        )

    def _alert(
        self,
        s: Series,
        alert_id: str,
        started_at: datetime,
        severity: Severity,
        look: Look,
        sig: Signals,
        now: datetime,
    ) -> Alert:
        labels = {"product": s.product, "kind": KIND}
        if s.category:
            labels["category"] = s.category
        if sig.categories:
            labels["categories"] = ",".join(c for c, _ in sig.categories)
        if sig.new_terms:
            labels["new_terms"] = ",".join(e.term for e in sig.new_terms)
        samples = [x for _, x in look.window.samples]
        if s.wave is not None:
            samples = samples or [x for _, x in s.wave.details.samples]
        return Alert(
            key=s.key,
            id=alert_id,
            severity=severity,
            state=AlertState.FIRING,
            started_at=started_at,
            updated_at=now,
            labels=labels,
            reasons=reasons(sig),
            burst=BurstFacts(
                window_start=look.window_start,
                window_end=now,
                count=look.count,
                baseline=round(look.expected, 3),
                complainants=sig.complainants,
                # How surprising the window is: -log10 of its chance under the baseline.
                score=round(min(99.0, -math.log10(max(look.p, 1e-99))), 2),
                sources=sig.sources,
                samples=tuple(samples),
                series=look.series,
            ),
        )
