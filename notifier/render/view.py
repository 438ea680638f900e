"""The typed view of a message (``yujing.views``), built once from the notification's alert
events: every renderer writes from it and none looks at the events again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from yujing.alerts import AlertEvent, AlertState, EventKind, Handling, Severity, kind_label
from yujing.views import AlertView, NotificationView, SampleView

from ..notification import Notification

__all__ = [
    "alert_view",
    "notification_view",
    "sparkline",
    "is_http",
    "local_time",
    "SHANGHAI",
    "EVENTS",
    "REMINDER",
]

EVENTS = {"firing": "新预警", "updated": "更新", "escalated": "升级", "resolved": "已解除"}
SPARKS = "▁▂▃▄▅▆▇█"
MAX_SAMPLES = 5
MAX_SAMPLE_TITLE = 100  # characters of a sample's title in a message
SHANGHAI = ZoneInfo("Asia/Shanghai")
REMINDER = "（提醒：仍未解除）"


def is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def sparkline(values: Sequence[float]) -> str:
    """Tiny bar chart, e.g. ▁▁▂▁▃█; empty for no values."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[0] * len(values)
    span = high - low
    return "".join(SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in values)


def local_time(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""


def _window(start: datetime, end: datetime, tz: tzinfo) -> str:
    first, last = local_time(start, tz), local_time(end, tz)
    if first[:10] == last[:10]:
        last = last[11:]  # same day: "2024-05-01 14:00–15:00"
    return f"{first}–{last}（{getattr(tz, 'key', tz)}）"


def _usual(baseline: float) -> str:
    # "平时几乎没有" says more to a PR person than "基线 0.0，约 176 倍".
    if baseline < 0.1:
        return "平时几乎没有"
    amount = f"{baseline:.1f}" if baseline < 10 else f"{round(baseline):,}"
    return f"平时约 {amount} 条"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sample_where(s: Mapping[str, Any]) -> str:
    """A sample's link when it is a web page; a call or file says where it is instead."""
    url = str(s.get("url") or "")
    if is_http(url):
        return url
    call, file, line = s.get("call_id"), s.get("file"), s.get("line")
    if call or file:  # a call: what the call centre knows it by, to find the recording
        said = [f"来电编号 {call}"] if call else []
        if file:
            said.append(f"{file} 第 {line} 行" if line else str(file))
        return f"（{s.get('source', '')} {' · '.join(said)}）"
    if url:
        return f"（{s.get('source', '')} 记录 {s.get('id', '')}）"
    return ""


def _samples(samples: Sequence[Mapping[str, Any]]) -> tuple[SampleView, ...]:
    """Distinct samples, at most ``MAX_SAMPLES``: one per title (a forum post and its copy in a
    news feed are one story to the reader), or per link when there is no title."""
    out: list[SampleView] = []
    seen = set()
    for s in samples:
        key = s.get("title") or s.get("url") or s.get("id")
        if key in seen:
            continue
        seen.add(key)
        url = str(s.get("url") or "")
        out.append(
            SampleView(
                title=_clip(str(s.get("title") or "(无标题)"), MAX_SAMPLE_TITLE),
                url=url if is_http(url) else "",
                where=_sample_where(s),
                source=str(s.get("source") or ""),
                id=str(s.get("id") or ""),
            )
        )
    return tuple(out[:MAX_SAMPLES])


def _title(event: AlertEvent, product_name: str, category_name: str) -> str:
    """E.g. "【橙色预警】安心e生医疗险 群体投诉苗头"; "【红色预警·升级】…"; "【已解除】…"."""
    what = kind_label(event.alert.kind)
    subject = product_name + (f"·{category_name}" if category_name else "")
    if event.event is EventKind.RESOLVED or event.alert.state is AlertState.RESOLVED:
        return f"【已解除】{subject} {what}"
    tag = {EventKind.ESCALATED: "·升级", EventKind.UPDATED: "·更新"}.get(event.event, "")
    return f"【{event.alert.severity.label}色预警{tag}】{subject} {what}"


def alert_view(
    event: AlertEvent, *, tz: tzinfo = SHANGHAI, names: Mapping[str, str] | None = None
) -> AlertView:
    names = names or {}
    alert, burst = event.alert, event.alert.burst
    product = alert.product
    product_name = names.get(product) or alert.labels.get("product_name") or product
    category = alert.category or ""
    category_name = names.get(category, category)
    counts = ""
    if burst is not None:
        counts = (
            f"{burst.count} 条投诉（{_usual(burst.baseline)}）· 投诉人 {burst.complainants} 位"
            f" · 渠道 {burst.sources} 个"
        )
    discover = alert.annotations.get("discover_url") or ""
    return AlertView(
        id=alert.id,
        title=_title(event, product_name, category_name),
        event=event.event.value,
        event_label=EVENTS.get(event.event.value, event.event.value),
        severity=alert.severity.value,
        severity_label=alert.severity.label,
        resolved=event.event is EventKind.RESOLVED or alert.state is AlertState.RESOLVED,
        kind_label=kind_label(alert.kind),
        product=product,
        product_name=product_name,
        category=category,
        category_name=category_name,
        reasons=tuple(alert.reasons),
        count=burst.count if burst else 0,
        usual=_usual(burst.baseline if burst else 0.0),
        complainants=burst.complainants if burst else 0,
        sources=burst.sources if burst else 0,
        counts=counts,
        window=_window(burst.window_start, burst.window_end, tz) if burst else "",
        trend=sparkline([float(v) for v in burst.series]) if burst else "",
        started_at=local_time(alert.started_at, tz),
        updated_at=local_time(alert.updated_at, tz),
        resolved_at=local_time(alert.resolved_at, tz),
        samples=_samples(burst.samples) if burst else (),
        labels=dict(alert.labels),
        annotations=dict(alert.annotations),
        discover_url=discover if is_http(discover) else "",
    )


def _shown(n: Notification) -> list[AlertEvent]:
    """Each alert as the message shows it: one not told anew is shown as it stands."""
    return [
        e
        if e.id in n.changed or e.event is EventKind.RESOLVED
        else replace(e, event=EventKind.FIRING)
        for e in n.events
    ]


def _heading(n: Notification, names: Mapping[str, str]) -> str:
    """A group's heading: "【红色预警】安心e生医疗险 3 条预警，1 条已解除"."""
    product = n.group_labels.get("product", "")
    subject = names.get(product, product) if product else "多个产品"
    firing = n.firing
    resolved = len(n.events) - len(firing)
    if not firing:
        return f"【已解除】{subject} {resolved} 条预警"
    worst = max((e.alert.severity for e in firing), key=lambda s: s.rank)
    head = f"【{Severity(worst).label}色预警】{subject} {len(firing)} 条预警"
    return head + (f"，{resolved} 条已解除" if resolved else "")


def _lead(events: Sequence[AlertEvent]) -> int:
    """The alert that stands for the group: the most severe still firing, else the first."""
    firing = [i for i, e in enumerate(events) if e.event is not EventKind.RESOLVED]
    if not firing:
        return 0
    return max(firing, key=lambda i: (events[i].alert.severity.rank, -i))


def notification_view(
    n: Notification, *, tz: tzinfo = SHANGHAI, names: Mapping[str, str] | None = None
) -> NotificationView:
    names = names or {}
    shown = _shown(n)
    alerts = tuple(alert_view(e, tz=tz, names=names) for e in shown)
    lead = alerts[_lead(shown)] if alerts else None
    title = lead.title if lead is not None else ""
    if len(alerts) > 1:
        title = _heading(n, names)
    if n.repeat and n.handling is None:
        title = REMINDER + title
    view = NotificationView(
        lead=lead,
        title=title,
        id=lead.id if lead is not None else "",
        alerts=alerts,
        status=n.status,
        repeat=n.repeat,
        firing_count=len(n.firing),
        resolved_count=len(n.events) - len(n.firing),
        group_labels=dict(n.group_labels),
    )
    if n.handling is not None:
        view = _handled(view, n.handling, tz)
    return view


def _handled(view: NotificationView, h: Handling, tz: tzinfo) -> NotificationView:
    """A person's action: its line and the alert's title, "张三 已确认 · 【橙色预警】…"."""
    about = view.alerts[0].title if view.alerts else h.alert_id
    return replace(
        view,
        title=f"{h.line()} · {about}",
        id=h.alert_id,
        handling=h.line(),
        handling_at=local_time(h.at, tz),
    )
