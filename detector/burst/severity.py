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

from ..emerging import Emerging

__all__ = ["Signals", "back_to_usual", "grade", "points", "reasons", "span", "usual"]


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
    covered: float = 0.0  # seconds the count covers: the window and the current bucket so far
    wave_seconds: float = 0.0  # how long the wave has been firing
    wave_posts: int = 0
    complainants: int = 0  # distinct people (salted author or caller hashes) in the wave
    calls: int = 0  # of them, calls without a caller's number: each call one person
    anonymous: int = 0  # posts without an author: counted apart, never as people
    same_text_accounts: int = 0  # most accounts that posted one and the same text
    sources: int = 0
    reach: int = 0
    collective: int = 0  # posts with collective-action language
    collective_terms: tuple[tuple[str, int], ...] = ()
    negative: int = 0  # posts with sentiment < 0.4 in the window
    growth: float = 0.0  # window count / count of the window before
    previous: int = -1  # posts in the window before (-1: not known)
    categories: tuple[tuple[str, int], ...] = ()
    new_terms: tuple[Emerging, ...] = ()
    mentions: int = 0  # posts naming the product in the window that are not complaints


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
    """A duration the way people say it: "1 小时", "2 小时", "30 分钟", "3 天"."""
    for unit, size in (("天", 86400), ("小时", 3600), ("分钟", 60)):
        if seconds >= size and (seconds % size == 0 or seconds >= 3 * size):
            return f"{round(seconds / size)} {unit}"
    return f"{seconds / 60:.0f} 分钟" if seconds >= 60 else f"{seconds:.0f} 秒"


def _amount(x: float) -> str:
    """0.8, 3, 12: one decimal only where it says something."""
    return f"{x:.1f}" if x < 10 and abs(x - round(x)) >= 0.05 else f"{round(x):,}"


def usual(expected: float, cold: bool = False) -> str:
    """What the series usually holds in a window, in words: "平时约 0.8 条", "平时几乎没有"."""
    if cold:
        return "新监测对象，历史不足，尚无常态可比"
    if expected < 0.1:
        return "平时几乎没有"
    return f"平时约 {_amount(expected)} 条"


def reasons(s: Signals) -> tuple[str, ...]:
    """Why the alert fired, in plain Chinese, most telling first."""
    out = [f"{span(s.covered or s.window)}内 {s.count} 条投诉，{usual(s.expected, s.cold)}"]
    if s.wave_seconds >= s.window and s.wave_posts > s.count:
        out.append(f"自 {span(s.wave_seconds)}前开始，累计 {s.wave_posts} 条")
    if s.complainants:
        calls = f"（含来电 {s.calls} 通，未留号码，每通计一位）" if s.calls else ""
        anonymous = f"，另有匿名 {s.anonymous} 条" if s.anonymous else ""
        out.append(f"投诉人 {s.complainants} 位{calls}{anonymous}")
    elif s.anonymous:
        out.append(f"匿名 {s.anonymous} 条（不计人数）")
    if s.same_text_accounts >= 3:
        out.append(f"{s.same_text_accounts} 个账号发布相同内容，疑似有组织的复制粘贴")
    if s.sources >= 2:
        out.append(f"来自 {s.sources} 个渠道")
    if s.growth >= 2.0:
        if s.previous == 0:
            out.append(f"前 {span(s.window)}没有，突然出现")
        else:
            out.append(f"比前 {span(s.window)}增长 {s.growth:.1f} 倍")
    if s.collective:
        terms = "、".join(f"{t}×{k}" for t, k in s.collective_terms[:3])
        out.append(f"{s.collective} 条含集体维权用语" + (f"（{terms}）" if terms else ""))
    if s.negative:
        out.append(f"负面情绪 {s.negative}/{s.count} 条")
    if s.reach:
        out.append(f"公众关注 {s.reach:,}（阅读、评论、转发、点赞）")
    if s.mentions:
        out.append(f"同期提及 {s.mentions} 条（非投诉）")
    if s.categories:
        out.append("主要问题：" + "、".join(f"{c}（{k}）" for c, k in s.categories[:3]))
    if s.new_terms:
        out.append("新出现的词：" + "、".join(f"{e.term}×{e.recent}" for e in s.new_terms))
    return tuple(out)


def back_to_usual(count: int, expected: float, window: float) -> str:
    return f"已恢复常态：{span(window)}内 {count} 条，{usual(expected)}"
