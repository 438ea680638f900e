"""A wave's special report (专报) as one HTML document: 概况, 传播, 内容与情感, 处置, in that order."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from yujing.alerts import Severity
from yujing.notifier.render.view import is_http
from yujing.records import utcnow

from ..status import took
from .charts import FONT_STACK, trend_chart
from .document import b64, templates
from .wave_query import Sighting, WaveReport

__all__ = ["render_wave_html", "wave_summary"]


def wave_summary(w: WaveReport) -> str:
    about = f"{w.name}（{w.category}）" if w.category else w.name
    channels = "、".join(w.per_channel) or "无"
    return (
        f"{about}出现群体投诉：投诉 {w.posts} 条，涉及 {w.people} 人，"
        f"来自 {len(w.per_channel)} 个渠道（{channels}）。"
    )


def _when(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%m-%d %H:%M") if at else "—"


def _cited(s: Sighting, tz: tzinfo) -> dict[str, Any]:
    return {
        "when": _when(s.published_at, tz),
        "source": s.source,
        "author": s.author or "（未留）",
        # A link only to a web page: a post's address comes from outside (javascript: is not).
        "url": s.url if is_http(s.url) else None,
        "title": s.title or "（无标题）",
        "reach": s.reach,
    }


def render_wave_html(w: WaveReport, tz: tzinfo, *, made_at: datetime | None = None) -> str:
    a = w.alert
    step_words = f"每 {int(w.step.total_seconds() // 60)} 分钟" if w.step.days == 0 else "每日"
    local = {s: {t.astimezone(tz): n for t, n in c.items()} for s, c in w.timeline.items()}
    chart = (
        b64(trend_chart(local, title=f"各渠道投诉（{step_words}）", step=w.step, stacked=True))
        if local
        else None
    )
    return (
        templates()
        .get_template("wave.html.j2")
        .render(
            title=f"{w.name}舆情专报",
            font_stack=FONT_STACK,
            alert_id=a.id,
            span=f"{_when(w.since, tz)} 至 {_when(w.until, tz)}",
            zone=str(tz),
            made_at=(made_at or utcnow()).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            summary=wave_summary(w),
            name=f"{w.name} / {w.category}" if w.category else w.name,
            severity=Severity(a.severity).label,
            started=_when(a.started_at, tz),
            state="已平息" if a.resolved_at else "持续中",
            reasons=list(a.reasons),
            timeline_chart=chart,
            first=_cited(w.first, tz) if w.first else None,
            channels=[
                {
                    "source": s,
                    "first": _when(w.first_by_channel[s].published_at, tz),
                    "count": w.per_channel[s],
                }
                for s in w.first_by_channel
            ],
            tone=list(w.tone.items()),
            categories=list(w.categories.items()),
            new_terms=list(w.new_terms),
            samples=[_cited(s, tz) for s in w.representative],
            to_ack=took(a.started_at, w.times.acknowledged_at),
            to_resolve=took(a.started_at, w.times.resolved_at),
            assignee=w.times.assignee,
            false_alarm=w.times.false_alarm,
            handling=[{"when": _when(h.at, tz), "line": h.line()} for h in w.handling],
        )
    )
