"""Notifications as messages: a group of alerts, or a person's handling action, in Chinese.

One alert alone reads exactly as ``format`` writes it. Several alerts get a heading that counts
them ("【红色预警】安心e生医疗险 3 条预警，1 条已解除") and then each alert as ``format`` writes
it; alerts the notification does not tell anew (``changed``) are shown as they stand, without
"更新"/"升级". A reminder (``repeat``) says so first. A handling action is a short line:
"张三 已确认 · 【橙色预警】安心e生医疗险 群体投诉苗头".

``notification_fields`` gives the templated receivers (DingTalk, WeCom, Feishu, e-mail,
webhooks) one alert's fields as before plus the group's (``alerts``, ``handling``...);
``slack_notification`` is one Slack message for a whole notification (the incoming webhook);
``notification_line`` is the notification on one line, for logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from yujing.alerts import EventKind, Handling, Severity

from .format import (
    SHANGHAI,
    cut,
    escape,
    fields,
    one_line,
    slack_group_message,
    slack_message,
    title,
)
from .notification import Notification

__all__ = [
    "notification_fields",
    "slack_notification",
    "slack_handling_reply",
    "notification_line",
    "MAX_ALERTS",
    "REMINDER",
    "GROUP_FIELDS",
]

MAX_ALERTS = 8  # alerts shown in full in one chat message (Slack allows 50 blocks)
REMINDER = "（提醒：仍未解除）"

# What a notification adds to one alert's fields (``yujing.config.templates`` names them all).
GROUP_FIELDS = frozenset(
    {
        "alerts",
        "status",
        "repeat",
        "firing_count",
        "resolved_count",
        "group_labels",
        "handling",
        "handling_at",
    }
)


def _shown(n: Notification) -> list[dict[str, Any]]:
    """Each alert as the message shows it: one not told anew is shown as it stands."""
    out = []
    for e in n.events:
        d = e.to_dict()
        if e.id not in n.changed and e.event is not EventKind.RESOLVED:
            d["event"] = EventKind.FIRING.value
        out.append(d)
    return out


def _heading(n: Notification, names: Mapping[str, str]) -> str:
    product = n.group_labels.get("product", "")
    subject = names.get(product, product) if product else "多个产品"
    firing = n.firing
    resolved = len(n.events) - len(firing)
    if not firing:
        head = f"【已解除】{subject} {resolved} 条预警"
    else:
        worst = max((e.alert.severity for e in firing), key=lambda s: s.rank)
        head = f"【{Severity(worst).label}色预警】{subject} {len(firing)} 条预警"
        if resolved:
            head += f"，{resolved} 条已解除"
    return REMINDER + head if n.repeat else head


def _lead(n: Notification) -> int:
    """The alert whose fields stand for the group: the most severe still firing, else the
    first."""
    firing = [i for i, e in enumerate(n.events) if e.event is not EventKind.RESOLVED]
    if not firing:
        return 0
    return max(firing, key=lambda i: (n.events[i].alert.severity.rank, -i))


def _local(h: Handling, tz: tzinfo) -> str:
    return h.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _handling_head(n: Notification, names: Mapping[str, str]) -> str:
    assert n.handling is not None
    about = title(_shown(n)[0], names) if n.events else n.handling.alert_id
    return f"{n.handling.line()} · {about}"


def notification_fields(
    n: Notification, *, tz: tzinfo = SHANGHAI, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What a template gets for ``n``: the lead alert's fields (for one alert, that alert's, so
    a template written for one alert still reads right), ``title`` for the whole notification,
    and ``alerts``, each alert's fields in the group's order."""
    names = names or {}
    alerts = [fields(d, tz=tz, names=names) for d in _shown(n)]
    out: dict[str, Any] = dict(alerts[_lead(n)]) if alerts else {}
    firing = len(n.firing)
    out.update(
        alerts=alerts,
        status=n.status,
        repeat=n.repeat,
        firing_count=firing,
        resolved_count=len(n.events) - firing,
        group_labels=dict(n.group_labels),
        handling="",
        handling_at="",
    )
    if n.handling is not None:
        out.update(
            title=_handling_head(n, names),
            handling=n.handling.line(),
            handling_at=_local(n.handling, tz),
        )
    elif len(alerts) > 1:
        out["title"] = _heading(n, names)
    elif n.repeat:
        out["title"] = REMINDER + out["title"]
    return out


def slack_handling_reply(h: Handling, *, tz: tzinfo = SHANGHAI) -> str:
    """A handling action as one line in the alert's Slack thread (escaped mrkdwn: the name and
    the reason are a person's own words)."""
    return cut(f"{h.line()}（{_local(h, tz)}）", 3000)


def _slack_handling(n: Notification, tz: tzinfo, names: Mapping[str, str]) -> dict[str, Any]:
    assert n.handling is not None
    head = _handling_head(n, names)
    at = _local(n.handling, tz)
    alert_id = n.handling.alert_id
    return {
        "text": cut(f"{head}\n时间：{at}\n预警编号：{alert_id}", 3000),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": cut(head, 3000)}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": escape(f"{at} · 预警编号 {alert_id}")}],
            },
        ],
    }


def slack_notification(
    n: Notification, *, tz: tzinfo = SHANGHAI, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The whole notification as one Slack message (``text``, ``blocks``, ``attachments``),
    every piece of text escaped."""
    names = names or {}
    if n.handling is not None:
        return _slack_handling(n, tz, names)
    shown = _shown(n)
    if len(shown) == 1:
        return slack_message(shown[0], tz=tz, names=names, prefix=REMINDER if n.repeat else "")
    return slack_group_message(_heading(n, names), shown, tz=tz, names=names, limit=MAX_ALERTS)


def notification_line(n: Notification, names: Mapping[str, str] | None = None) -> str:
    """The notification on one line, for logs."""
    names = names or {}
    if n.handling is not None:
        return f"{_handling_head(n, names)} [{n.handling.alert_id}]"
    shown = _shown(n)
    if len(shown) == 1:
        line = f"{one_line(shown[0], names)} [{shown[0].get('id', '')}]"
        return REMINDER + line if n.repeat else line
    each = " ｜ ".join(f"{one_line(d, names)} [{d.get('id', '')}]" for d in shown)
    return f"{_heading(n, names)} — {each}"
