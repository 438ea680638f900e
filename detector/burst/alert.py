"""A burst alert as people read it: its kind, the signals of its wave (who, how many, from where,
what about) and the alert that carries them."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from yujing.alerts import Alert, AlertState, BurstFacts, Severity

from ..details import Details
from ..emerging import EmergingTerms
from ..mentions import Mentions
from ..series import Look, Series
from .severity import Signals, reasons

__all__ = ["KIND", "Alerting"]

KIND = "burst"


class Alerting:
    """Signals and alerts of the burst detector's series (mixed into ``BurstDetector``)."""

    category_names: dict[str, str]
    series: dict[str, Series]
    terms: dict[str, EmergingTerms]
    mentions: Mentions

    def _signals(
        self, s: Series, look: Look, wave: Details, seconds: float, now: datetime
    ) -> Signals:
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
            # The count covers the window's whole buckets and the current one so far: the
            # words say that span ("65 分钟内"), never an hour for 65 minutes.
            covered=round((now - look.window_start).total_seconds() / 60) * 60.0,
            min_count=rule.min_count,
            cold=look.cold,
            wave_seconds=seconds,
            wave_posts=max(wave.posts, win.posts),
            complainants=people,
            calls=max(wave.calls, win.calls),
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
            mentions=self._other_mentions(s, look),
        )

    def _other_mentions(self, s: Series, look: Look) -> int:
        """Posts naming the product in the window that are not complaints: all its mentions
        less the complaints its whole-product series holds there."""
        whole = self.series.get(f"{KIND}:{s.product}", s)
        lo, hi = look.bucket - s.w, look.bucket
        complaints = sum(d.posts for b, d in whole.details.items() if lo <= b <= hi)
        return max(0, self.mentions.between(s.product, lo, hi) - complaints)

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
