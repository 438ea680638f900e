"""Messages in Slack's Block Kit, written from the message's view.

An alert's message is a header with its title and an attachment coloured by severity holding
the details; ``reply`` says in one line what changed, for the wave's thread, and ``reminder``
that a wave still goes on; ``group_message`` puts several alerts in one message (a group sent
where messages cannot be edited); ``notification`` is a whole notification as one message.

Slack reads ``&``, ``<`` and ``>`` as markup in every text field (``<!channel>`` pings a whole
channel), so every piece of text that reaches Slack goes through ``escape`` first; links are
only made of http(s) URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from yujing.views import AlertView, NotificationView

from .text import alert_text, plain_text
from .view import REMINDER

__all__ = [
    "escape",
    "cut",
    "colour",
    "COLOURS",
    "message",
    "group_message",
    "reply",
    "reminder",
    "handling_reply",
    "notification",
    "MAX_ALERTS",
]

# Attachment colours: the early-warning colours, and green once a wave is over.
COLOURS = {"blue": "#1E88E5", "yellow": "#F9A825", "orange": "#EF6C00", "red": "#D32F2F"}
RESOLVED_COLOUR = "#2E7D32"
MAX_ALERTS = 8  # alerts shown in full in one message (Slack allows 50 blocks)


def escape(text: str) -> str:
    """Slack treats these three as control characters in every text field."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """``text`` escaped and within ``limit`` characters, never ending inside an entity."""
    out = escape(text)
    while len(out) > limit:
        text = text[: max(0, len(text) - (len(out) - limit) - 1)] + "…"
        out = escape(text)
    return out


def colour(alert: AlertView) -> str:
    if alert.resolved:
        return RESOLVED_COLOUR
    return COLOURS.get(alert.severity, COLOURS["orange"])


def _link(url: str) -> str:
    # Inside <url|label> a "|" or ">" would end the URL early.
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(text, 150), "emoji": True}}


def _details(a: AlertView) -> list[dict[str, Any]]:
    """The blocks under an alert's title: its facts, samples and where to read more."""
    facts = [f"*等级*\n{a.severity_label}色 · {a.event_label}"]
    if a.counts:
        facts = [
            f"*数量*\n{a.count} 条投诉（{a.usual}）",
            f"*投诉人*\n{a.complainants} 位",
            f"*渠道*\n{a.sources} 个",
            *facts,
            f"*窗口*\n{a.window}",
        ]
    if a.trend:
        facts.append(f"*趋势*\n`{a.trend}`")
    section: dict[str, Any] = {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": escape(f)[:2000]} for f in facts],
    }
    if a.reasons:
        section["text"] = {"type": "mrkdwn", "text": escape("原因：" + "；".join(a.reasons))[:3000]}
    blocks: list[dict[str, Any]] = [section]
    if a.samples:
        links = [
            f"• <{_link(s.url)}|{escape(s.title)}>"
            if s.url
            else f"• {escape(s.title)} {escape(s.where)}".rstrip()
            for s in a.samples
        ]
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "*样本*\n" + "\n".join(links)}}
        )
    context = escape(f"预警编号 {a.id} · 产品 {a.product}")
    if a.discover_url:
        context += f" · <{_link(a.discover_url)}|在 Kibana 中查看相关帖子>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return blocks


def message(alert: AlertView, *, prefix: str = "") -> dict[str, Any]:
    """The wave's message as it stands: the arguments of chat.postMessage or chat.update beside
    the channel. ``text`` is what notifications and old clients show; ``prefix`` goes before
    the title (a reminder says so)."""
    head = prefix + alert.title
    return {
        "text": cut(prefix + alert_text(alert), 3000),
        "blocks": [_header(head)],
        "attachments": [
            {"color": colour(alert), "fallback": cut(head, 300), "blocks": _details(alert)}
        ],
    }


def group_message(
    head: str, alerts: Sequence[AlertView], *, text: str, limit: int = MAX_ALERTS
) -> dict[str, Any]:
    """Several alerts in one message (a group, where a message cannot be edited later): the
    group's ``head`` as the header, then each alert in an attachment of its own colour, at most
    ``limit`` of them (Slack takes 50 blocks); ``text`` keeps them all, within Slack's length."""
    attachments = []
    for a in alerts[:limit]:
        # A message has one header: each alert's title is a bold line of its attachment.
        name = {"type": "section", "text": {"type": "mrkdwn", "text": f"*{cut(a.title, 2900)}*"}}
        attachments.append(
            {"color": colour(a), "fallback": cut(a.title, 300), "blocks": [name, *_details(a)]}
        )
    blocks = [_header(head)]
    if len(alerts) > limit:
        more = f"另有 {len(alerts) - limit} 条预警未列出（yujing status 可查看全部）"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"text": cut(text, 3000), "blocks": blocks, "attachments": attachments}


def reply(alert: AlertView) -> str:
    """One line for the wave's thread: what changed with this event (escaped mrkdwn)."""
    if alert.resolved:
        line = f"已解除（{alert.resolved_at or '—'}）"
        line += f"· 窗口内 {alert.counts}" if alert.counts else ""
        if alert.reasons:
            line += f" · {alert.reasons[-1]}"  # the resolution's own reason comes last
        return cut(line, 3000)
    if alert.event == "escalated":
        line = f"升级为{alert.severity_label}色预警"
    elif alert.event == "updated":
        line = "数量翻倍"
    else:
        line = alert.title
    return cut(line + (f" · {alert.counts}" if alert.counts else ""), 3000)


def reminder(alert: AlertView) -> str:
    """One line for the wave's thread when a firing wave is due a reminder (escaped mrkdwn)."""
    return cut(f"仍在持续（{alert.started_at} 起，尚未解除）· {alert.counts}", 3000)


def handling_reply(view: NotificationView) -> str:
    """A handling action as one line in the alert's thread (escaped mrkdwn: the name and the
    reason are a person's own words)."""
    return cut(f"{view.handling}（{view.handling_at}）", 3000)


def _handling(view: NotificationView) -> dict[str, Any]:
    return {
        "text": cut(f"{view.title}\n时间：{view.handling_at}\n预警编号：{view.id}", 3000),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": cut(view.title, 3000)}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": escape(f"{view.handling_at} · 预警编号 {view.id}")}
                ],
            },
        ],
    }


def notification(view: NotificationView) -> dict[str, Any]:
    """The whole notification as one message (``text``, ``blocks``, ``attachments``), every
    piece of text escaped."""
    if view.handling:
        return _handling(view)
    if len(view.alerts) == 1:
        return message(view.alerts[0], prefix=REMINDER if view.repeat else "")
    return group_message(view.title, view.alerts, text=plain_text(view))
