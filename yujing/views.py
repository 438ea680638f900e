"""What a message says of its alerts, in words people read: the one typed view every renderer
writes from (plain text, Slack's Block Kit, the chat apps' markdown templates, an admin's own
template), and the names a template may use.

``AlertView`` is one alert as a PR person reads it: Chinese labels, local times, names beside
ids, sample links only where they are web pages. ``NotificationView`` is what one receiver is
told at once: a group's alerts and the group's facts, or a person's handling action. Both are
built once per message (``yujing.notifier.render.view``); a template gets ``fields()``, and
``yujing.config.templates`` takes the names a template may use from these classes, so the list
exists here alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["SampleView", "AlertView", "NotificationView", "alert_field_names", "field_names"]


@dataclass(frozen=True, slots=True)
class SampleView:
    title: str  # cut to a line; "(无标题)" when it had none
    url: str  # http(s) only, else empty
    where: str  # the link, or where a call or file is found ("（热线 来电编号 C-1）")
    source: str
    id: str

    def fields(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class AlertView:
    id: str  # the alert's id, what `yujing alert ack ID` takes
    title: str  # 【橙色预警】安心e生医疗险 群体投诉苗头
    event: str  # firing | updated | escalated | resolved
    event_label: str  # 新预警 | 更新 | 升级 | 已解除
    severity: str  # blue | yellow | orange | red
    severity_label: str  # 蓝 | 黄 | 橙 | 红
    resolved: bool  # true once the alert is over
    kind_label: str  # 群体投诉苗头
    product: str  # product id
    product_name: str
    category: str  # category id, or empty
    category_name: str
    reasons: tuple[str, ...]  # sentences
    count: int
    usual: str  # 平时约 2.1 条
    complainants: int
    sources: int
    counts: str  # 23 条投诉（平时约 2.1 条）· 投诉人 15 位 · 渠道 3 个; empty when not a burst
    window: str  # 2024-05-01 14:00–15:00（Asia/Shanghai）, or empty
    trend: str  # sparkline of the recent counts, or empty
    started_at: str  # local time, 2024-05-01 14:00
    updated_at: str
    resolved_at: str  # local time, or empty
    samples: tuple[SampleView, ...]
    labels: dict[str, str]
    annotations: dict[str, str]
    discover_url: str  # the alert's posts in Kibana Discover (http(s)), or empty

    def fields(self) -> dict[str, Any]:
        """The alert's fields for a template: plain values, lists and dicts."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(
            reasons=list(self.reasons),
            samples=[s.fields() for s in self.samples],
            labels=dict(self.labels),
            annotations=dict(self.annotations),
        )
        return out


@dataclass(frozen=True, slots=True)
class NotificationView:
    """A template sees ``lead``'s fields at the top (one alert's template reads right for a
    group too), then these, which override ``title`` and ``id``."""

    lead: AlertView | None  # the most severe firing alert, else the first; None without alerts
    title: str  # the alert's title; a group's heading; a handling action's line and title
    id: str  # the lead alert's id; the alert a handling action is about
    alerts: tuple[AlertView, ...]  # each alert, in the group's order (one alert: one)
    status: str  # firing while any alert of the group fires, else resolved
    repeat: bool  # a reminder of a group that did not change
    firing_count: int
    resolved_count: int
    group_labels: dict[str, str] = field(default_factory=dict)  # e.g. {product: anxin-e}
    handling: str = ""  # a person's action: 张三 已确认：已联系理赔部; empty for alerts
    handling_at: str = ""  # local time of the action, or empty

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = self.lead.fields() if self.lead is not None else {}
        for f in fields(self):
            if f.name != "lead":
                out[f.name] = getattr(self, f.name)
        out.update(alerts=[a.fields() for a in self.alerts], group_labels=dict(self.group_labels))
        return out


def alert_field_names() -> frozenset[str]:
    """One alert's fields: the lead's at a template's top level, and each of ``alerts``'."""
    return frozenset(f.name for f in fields(AlertView))


def field_names() -> frozenset[str]:
    """Every name a template may use."""
    return alert_field_names() | {f.name for f in fields(NotificationView)} - {"lead"}
