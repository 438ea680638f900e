"""Notifications as messages: a group of alerts, or a person's handling action, in Chinese.

One alert alone reads exactly as ``format.render`` writes it. Several alerts get a heading that
counts them ("【红色预警】安心e生医疗险 3 条预警，1 条已解除") and then each alert as
``format.render`` writes it; alerts the notification does not tell anew (``changed``) are shown
as they stand, without "更新"/"升级". A reminder (``repeat``) says so first. A handling action
is a short line: "张三 已确认 · 【橙色预警】安心e生医疗险 群体投诉苗头".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from yujing.alerts import EventKind, Severity

from .format import SHANGHAI, Message, one_line, render, title
from .notification import Notification

__all__ = ["render_notification", "notification_line", "MAX_ALERTS"]

MAX_ALERTS = 8  # alerts shown in full in one chat message (Slack allows 50 blocks)
REMINDER = "（提醒：仍未解除）"


def _mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


def _handling(n: Notification, tz: tzinfo, names: Mapping[str, str]) -> Message:
    assert n.handling is not None
    h = n.handling
    about = title(n.events[0].to_dict(), names) if n.events else h.alert_id
    head = f"{h.line()} · {about}"
    at = h.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    text = f"{head}\n时间：{at}\n预警编号：{h.alert_id}"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(head)[:3000]}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _mrkdwn(f"{at} · 预警编号 {h.alert_id}")}],
        },
    ]
    return Message(head, text, blocks)


def render_notification(
    n: Notification, *, tz: tzinfo = SHANGHAI, names: Mapping[str, str] | None = None
) -> Message:
    names = names or {}
    if n.handling is not None:
        return _handling(n, tz, names)
    shown = _shown(n)
    if len(shown) == 1:
        one = render(shown[0], tz=tz, names=names)
        if not n.repeat:
            return one
        head = REMINDER + one.title
        header = {"type": "header", "text": {"type": "plain_text", "text": head[:150]}}
        return Message(head, REMINDER + one.text, [header, *one.blocks[1:]])
    head = _heading(n, names)
    parts = [render(d, tz=tz, names=names) for d in shown]
    text = "\n\n".join([head, *(p.text for p in parts)])
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:150], "emoji": True}}
    ]
    for part in parts[:MAX_ALERTS]:
        # Each alert's own header becomes a bold line: a message has one header.
        blocks.append({"type": "divider"})
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_mrkdwn(part.title)}*"}}
        )
        blocks.extend(part.blocks[1:])
    if len(parts) > MAX_ALERTS:
        more = f"另有 {len(parts) - MAX_ALERTS} 条预警未列出（yujing status 可查看全部）"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return Message(head, text, blocks)


def notification_line(n: Notification, names: Mapping[str, str] | None = None) -> str:
    """The notification on one line, for logs."""
    names = names or {}
    if n.handling is not None:
        about = title(n.events[0].to_dict(), names) if n.events else ""
        return f"{n.handling.line()} · {about} [{n.handling.alert_id}]"
    shown = _shown(n)
    if len(shown) == 1:
        line = f"{one_line(shown[0], names)} [{shown[0].get('id', '')}]"
        return REMINDER + line if n.repeat else line
    each = " ｜ ".join(f"{one_line(d, names)} [{d.get('id', '')}]" for d in shown)
    return f"{_heading(n, names)} — {each}"
