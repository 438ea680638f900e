"""What the burst detector says beside its alerts: complaints piling up in a series too new to be
judged, and a wave whose posts came after their window had passed (learned as history, not
alerted). Once each in the log; a late wave is kept for ``yujing status`` too."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

from yujing.records import format_time
from yujing.store import LateWave, Store

from ..countmodel import tail
from ..series import EXPECTED_FLOOR, Look, Series

__all__ = ["Telling"]

log = logging.getLogger("yujing.detector")


def _episodes(
    late: Mapping[int, tuple[int, float, float]], w: int
) -> list[tuple[int, int, int, float, float]]:
    """Late buckets as (first, last, posts, usual, phi) runs: buckets less than a window apart
    are one. ``usual`` is the lowest a bucket of the run was expected to hold, and ``phi`` the
    lowest dispersion, before its posts came: each bucket of a late export is learned before
    the next is noted, so the later ones already expect the wave."""
    runs: list[tuple[int, int, int, float, float]] = []
    for b in sorted(late):
        n, expected, phi = late[b]
        if runs and b - runs[-1][1] <= w:
            first, _, total, usual, low = runs[-1]
            runs[-1] = (first, b, total + n, min(usual, expected), min(low, phi))
        else:
            runs.append((b, b, n, expected, phi))
    return runs


def _would_burst(s: Series, first: int, last: int, n: int, usual: float, phi: float) -> bool:
    """Whether ``n`` posts in buckets ``first``..``last`` would have been a burst had they come
    on time: the series' own test (``min_count``, ``ratio``, ``p_value``), against the usual of
    at least a window."""
    rule = s.rule
    expected = max(usual * max(last - first + 1, s.w), EXPECTED_FLOOR)
    return (
        n >= rule.min_count
        and n >= rule.ratio * expected
        and tail(n, expected, phi) <= rule.p_value
    )


class Telling:
    """The burst detector's log lines that are not alerts (mixed into ``BurstDetector``)."""

    utc_offset: float
    persist: bool
    store: Store | None
    _told_late: dict[str, tuple[int, int]]

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

    def _tell_late(self, s: Series, now: datetime) -> None:
        """Say each wave whose posts came after their window had passed: learned as history,
        not alerted. Once per product and wave in the log, and kept for ``yujing status``."""
        late, s.learned_late = s.learned_late, {}
        if not late or s.category is not None:  # the product's own line says it
            return
        zone = timezone(timedelta(seconds=self.utc_offset))
        for first, last, n, expected, phi in _episodes(late, s.w):
            told = self._told_late.get(s.key)
            more = told is not None and told[0] - s.w <= last and first <= told[1] + s.w
            if not more and not _would_burst(s, first, last, n, expected, phi):
                continue
            if told is not None and more:
                first, last = told[0], max(told[1], last)  # kept under the wave's first bucket
            self._told_late[s.key] = (first, last)
            start = datetime.fromtimestamp(first * s.size, UTC)
            end = datetime.fromtimestamp((last + 1) * s.size, UTC)
            if not more:
                log.warning(
                    "%s: %d complaints from %s-%s arrived after their window and were learned as "
                    "history, not alerted (deliver exports at least every %g min)",
                    s.product,
                    n,
                    start.astimezone(zone).strftime("%m-%d %H:%M"),
                    end.astimezone(zone).strftime("%H:%M"),
                    s.rule.window / 60,
                )
            if self.persist and self.store is not None:
                self.store.time_notices.add_late(LateWave(s.key, s.product, start, end, n, now))
