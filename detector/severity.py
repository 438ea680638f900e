"""Grading a wave 红/橙/黄/蓝, and saying why in plain words.

A wave is graded on what makes a group complaint dangerous to an insurer: how many people, how
much public attention, how organised and widespread, how fast it grows. Each earns points
(``n`` is the product's ``min_count``):

==================================  ======================================  ======
signal                              threshold                               points
==================================  ======================================  ======
distinct complainants in the wave   >= 8n / >= 4n / >= 2n                   6/4/2
public attention (views, comments,  >= 1,000,000 / >= 100,000 / >= 10,000  4/2/1
reposts, likes) of the wave's posts
collective-action language          in >= 3 posts                           2
spread                              >= 3 sources                            2
growth                              window count >= 3x the window before,   1
                                    and >= 4n posts
==================================  ======================================  ======

Severity: red >= 6 points, orange >= 4, yellow >= 2, blue otherwise; but red needs many people
(>= 4n) or wide attention (>= 100,000), else it stops at orange. So 8n people alone is red, 4n
orange, 2n (or an organised handful) yellow, an organised handful on three sites orange. The
share of negative posts and emerging terms are reported, not graded: they say what the wave is
about rather than how big it is. Within one wave severity never drops.
"""

from __future__ import annotations

from dataclasses import dataclass

from yujing.alerts import Severity

from .emerging import Emerging

__all__ = ["Signals", "grade", "points", "reasons", "span"]


@dataclass(frozen=True, slots=True)
class Signals:
    """What one evaluation saw for one series."""

    count: int  # posts in the window
    expected: float  # usual posts in the same window (hour of day and weekday considered)
    per_day: float  # usual posts a day
    p_value: float  # chance of count or more when nothing unusual happens
    window: float  # seconds
    min_count: int
    cold: bool = False  # too little history: judged by min_count, not a learned rate
    wave_seconds: float = 0.0  # how long the wave has been firing
    wave_posts: int = 0
    complainants: int = 0  # distinct people (salted author hashes) in the wave
    sources: int = 0
    reach: int = 0
    collective: int = 0  # posts with collective-action language
    collective_terms: tuple[tuple[str, int], ...] = ()
    negative: int = 0  # posts with sentiment < 0.4 in the window
    growth: float = 0.0  # window count / count of the window before
    previous: int = -1  # posts in the window before (-1: not known)
    categories: tuple[tuple[str, int], ...] = ()
    new_terms: tuple[Emerging, ...] = ()


def points(s: Signals) -> int:
    n = s.min_count
    total = 0
    for limit, pts in ((8 * n, 6), (4 * n, 4), (2 * n, 2)):
        if s.complainants >= limit:
            total += pts
            break
    for limit, pts in ((1_000_000, 4), (100_000, 2), (10_000, 1)):
        if s.reach >= limit:
            total += pts
            break
    if s.collective >= 3:
        total += 2
    if s.sources >= 3:
        total += 2
    if s.growth >= 3.0 and s.count >= 4 * n:
        total += 1
    return total


def grade(s: Signals) -> Severity:
    p = points(s)
    big = s.complainants >= 4 * s.min_count or s.reach >= 100_000
    if p >= 6 and big:
        return Severity.RED
    if p >= 4:
        return Severity.ORANGE
    if p >= 2:
        return Severity.YELLOW
    return Severity.BLUE


def span(seconds: float) -> str:
    """A duration the way people say it: "1 h", "2 h", "30 min", "3 d"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and (seconds % size == 0 or seconds >= 3 * size):
            return f"{round(seconds / size)} {unit}"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _usual(s: Signals) -> str:
    if s.cold:
        return "a new series with too little history to know its usual rate"
    day = f"{s.per_day:.1f}" if s.per_day < 10 else f"{s.per_day:.0f}"
    return f"a usual {s.expected:.1f} ({day} a day)"


def reasons(s: Signals) -> tuple[str, ...]:
    out = [f"{_plural(s.count, 'post')} in {span(s.window)} against {_usual(s)}"]
    if s.wave_seconds >= s.window and s.wave_posts > s.count:
        out.append(
            f"{_plural(s.wave_posts, 'post')} since the wave began {span(s.wave_seconds)} ago"
        )
    if s.complainants:
        out.append(_plural(s.complainants, "distinct complainant"))
    if s.sources:
        out.append(_plural(s.sources, "source"))
    if s.growth >= 2.0:
        if s.previous == 0:
            out.append(f"growing: from none in the {span(s.window)} before")
        else:
            out.append(f"growing: {s.growth:.1f}x the {span(s.window)} before")
    if s.collective:
        terms = ", ".join(f"{t} ×{k}" for t, k in s.collective_terms[:3])
        out.append(
            f"collective-action language in {_plural(s.collective, 'post')}"
            + (f" ({terms})" if terms else "")
        )
    if s.negative:
        out.append(f"negative tone in {s.negative} of {_plural(s.count, 'post')}")
    if s.reach:
        out.append(f"public attention {s.reach:,} (views, comments, reposts, likes)")
    if s.categories:
        out.append("mostly " + ", ".join(f"{c} ({k})" for c, k in s.categories[:3]))
    if s.new_terms:
        out.append("新词: " + ", ".join(f"{e.term} ×{e.recent}" for e in s.new_terms))
    return tuple(out)
