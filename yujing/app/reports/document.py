"""A report as one HTML document: the numbers of ``query.Report`` laid out in Chinese, its charts
inside as PNG images (data: URIs), so the one file is the web page, the e-mail body and the
source of the PDF alike."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from yujing.alerts import Severity
from yujing.config import DISPUTES
from yujing.records import utcnow

from ..status import took
from .charts import FONT_STACK, share_chart, trend_chart
from .complaints import DEADLINES, NO_LINE
from .query import Report
from .waves import WaveRow

__all__ = ["b64", "render_html", "summary_line", "templates", "title_of"]

TONE_COLOURS = {"负面": "#c62828", "中性": "#9e9e9e", "正面": "#2e7d32"}


def title_of(report: Report) -> str:
    scope = report.names[report.product] if report.product else ""
    return f"{scope}舆情{report.period.name}"


def summary_line(report: Report) -> str:
    """The report in one sentence: what a chat summary says too."""
    opened, overdue = len(report.open_waves), report.overdue[DEADLINES[0]]
    return (
        f"本期投诉 {report.complaints.now} 条，{report.complaints.words()}；"
        f"涉及 {report.people.now} 人，{report.people.words()}。"
        f"预警 {len(report.waves)} 起，未办结 {opened} 起；"
        f"超过 {DEADLINES[0]} 天未办结的投诉 {overdue} 条。"
    )


def b64(png: bytes) -> str:
    """A PNG for a data: URI."""
    return base64.b64encode(png).decode("ascii")


def templates() -> Environment:
    return Environment(
        loader=PackageLoader("yujing.app.reports", "templates"),
        autoescape=select_autoescape(default=True),
    )


def _when(at: datetime | None, report: Report) -> str:
    return at.astimezone(report.period.tz).strftime("%m-%d %H:%M") if at else "—"


def _wave(w: WaveRow, report: Report) -> dict[str, Any]:
    name = report.names.get(w.product, w.product)
    category = report.category_names.get(w.category, w.category) if w.category else None
    state = "处置中" if w.open else "已办结"
    if w.false_alarm and not w.open:
        state = f"误报：{w.false_alarm}"
    elif w.open and w.acknowledged_at is None:
        state = "未确认"
    return {
        "name": f"{name} / {category}" if category else name,
        "severity": Severity(w.severity).label,
        "started": _when(w.started_at, report),
        "count": w.count,
        "people": w.complainants,
        "to_ack": took(w.started_at, w.acknowledged_at),
        "to_resolve": took(w.started_at, w.resolved_at),
        "assignee": w.assignee or "—",
        "state": state if w.ended or not w.open else f"{state}（持续中）",
    }


def _dispute_rows(report: Report) -> list[dict[str, Any]]:
    kinds = list(DISPUTES.values())
    rows = []
    for line, counts in report.disputes.items():
        values = [counts.get(k, 0) for k in kinds]
        rows.append({"line": line, "counts": values, "total": sum(values), "total_row": False})
    sums = [sum(r["counts"][i] for r in rows) for i in range(len(kinds))]
    rows.append({"line": "合计", "counts": sums, "total": sum(sums), "total_row": True})
    return rows


def _source(s: Any, report: Report) -> dict[str, Any]:
    if s.failing:
        since = _when(s.failing_since, report)
        state = f"连续失败 {s.failures} 次（自 {since}）：{s.reason or '原因不明'}"
    else:
        state = "正常"
    return {
        "name": s.source,
        "runs": s.runs,
        "failed": s.failed_runs,
        "accepted": s.accepted,
        "failing": s.failing,
        "state": state,
        "last_success": _when(s.last_success_at, report),
    }


def _charts(report: Report) -> tuple[list[str], str]:
    step = report.period.step
    unit = "按小时" if step.days == 0 else "按日"
    named = {report.names.get(p, p): counts for p, counts in report.per_product.items()}
    charts = []
    if named:
        charts.append(
            b64(trend_chart(named, title=f"各产品投诉（{unit}）", step=step, stacked=False))
        )
    if report.per_channel:
        charts.append(
            b64(
                trend_chart(
                    report.per_channel, title=f"各渠道投诉（{unit}）", step=step, stacked=True
                )
            )
        )
    tone = b64(share_chart(report.sentiment, title="情感分布", colours=TONE_COLOURS))
    return charts, tone


def _total(counts: dict[datetime, int]) -> int:
    return sum(counts.values())


def render_html(report: Report, *, made_at: datetime | None = None) -> str:
    trend, tone = _charts(report)
    tz = report.period.tz
    return (
        templates()
        .get_template("report.html.j2")
        .render(
            title=title_of(report),
            font_stack=FONT_STACK,
            period=report.period.label,
            zone=str(tz),
            scope=report.names[report.product] if report.product else "全部监测产品",
            made_at=(made_at or utcnow()).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            summary=summary_line(report),
            trend_charts=trend,
            products=[
                {
                    "name": report.names.get(p, p),
                    "line": report.lines.get(p) or NO_LINE,
                    "count": _total(c),
                }
                for p, c in report.per_product.items()
            ],
            channels=[{"name": s, "count": _total(c)} for s, c in report.per_channel.items()],
            sentiment_chart=tone,
            mentions=sum(report.sentiment.values()),
            sentiment=list(report.sentiment.items()),
            disputes=list(DISPUTES.values()),
            dispute_rows=_dispute_rows(report),
            wave_groups=[
                {"title": "未办结", "rows": [_wave(w, report) for w in report.open_waves]},
                {"title": "已办结", "rows": [_wave(w, report) for w in report.resolved_waves]},
            ],
            overdue=list(report.overdue.items()),
            first_deadline=DEADLINES[0],
            overdue_products=[
                (report.names.get(p, p), n) for p, n in report.overdue_by_product.items()
            ],
            sources=[_source(s, report) for s in report.sources],
            new_terms=report.new_terms,
        )
    )
