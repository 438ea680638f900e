"""Alert messages for PR teams: Chinese first, short enough to read on a phone.

One event (``Alert.to_dict()`` plus ``"event"``) becomes a title, a plain-text body (for logs
and files) and Slack Block Kit blocks. For Slack, ``slack_message`` wraps these in the wave's
message (escaped notification text, header, and the details in an attachment coloured by
severity), ``slack_reply`` says in one line what changed, for the wave's thread, and
``slack_reminder`` that a wave still goes on; ``slack_group_message`` puts several alerts in one
message (a group sent where messages cannot be edited).

Slack reads ``&``, ``<`` and ``>`` as markup in every text field (``<!channel>`` pings a whole
channel), so every piece of text that reaches Slack goes through ``escape`` first; links are
only made of http(s) URLs.

``fields`` gives the same facts of one alert to the Jinja2 templates of the other chat apps,
e-mail and webhooks (``messages.notification_fields`` adds a notification's group), and
``md_escape``/``md_url`` keep user text inert in their markdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from yujing.alerts import Severity, kind_label
from yujing.records import parse_time

__all__ = [
    "Message",
    "render",
    "title",
    "one_line",
    "sparkline",
    "escape",
    "slack_message",
    "slack_reply",
    "slack_reminder",
    "slack_group_message",
    "cut",
    "colour",
    "COLOURS",
    "fields",
    "md_escape",
    "md_url",
    "is_http",
]

EVENTS = {"firing": "新预警", "updated": "更新", "escalated": "升级", "resolved": "已解除"}
SPARKS = "▁▂▃▄▅▆▇█"
MAX_SAMPLES = 5
MAX_SAMPLE_TITLE = 100  # characters of a sample's title in a message
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Attachment colours: the early-warning colours, and green once a wave is over.
COLOURS = {"blue": "#1E88E5", "yellow": "#F9A825", "orange": "#EF6C00", "red": "#D32F2F"}
RESOLVED_COLOUR = "#2E7D32"


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    text: str
    blocks: list[dict[str, Any]]


def _product(event: Mapping[str, Any], names: Mapping[str, str]) -> str:
    pid = str(event.get("product", ""))
    return names.get(pid) or str(event.get("labels", {}).get("product_name") or pid)


def title(event: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """E.g. "【橙色预警】安心e生医疗险 群体投诉苗头"; "【红色预警·升级】…"; "【已解除】…"."""
    what = kind_label(str(event.get("kind")))
    names = names or {}
    subject = _product(event, names)
    if event.get("category"):
        subject += f"·{names.get(str(event['category']), event['category'])}"
    kind = event.get("event") or event.get("state", "firing")
    if kind == "resolved" or event.get("state") == "resolved":
        return f"【已解除】{subject} {what}"
    colour = Severity(event["severity"]).label
    tag = {"escalated": "·升级", "updated": "·更新"}.get(str(kind), "")
    return f"【{colour}色预警{tag}】{subject} {what}"


def sparkline(values: Sequence[float]) -> str:
    """Tiny bar chart, e.g. ▁▁▂▁▃█; empty for no values."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[0] * len(values)
    span = high - low
    return "".join(SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in values)


def _local(value: str | None, tz: tzinfo) -> str:
    return parse_time(value).astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "—"


def _window(event: Mapping[str, Any], tz: tzinfo) -> str:
    start = _local(event.get("window_start"), tz)
    end = _local(event.get("window_end"), tz)
    if start[:10] == end[:10]:
        end = end[11:]  # same day: "2024-05-01 14:00–15:00"
    return f"{start}–{end}（{getattr(tz, 'key', tz)}）"


def _usual(baseline: float) -> str:
    # "平时几乎没有" says more to a PR person than "基线 0.0，约 176 倍".
    if baseline < 0.1:
        return "平时几乎没有"
    amount = f"{baseline:.1f}" if baseline < 10 else f"{round(baseline):,}"
    return f"平时约 {amount} 条"


def has_counts(event: Mapping[str, Any]) -> bool:
    """Whether the event is about counts of posts (a burst), not, say, a failing source."""
    return "count" in event


def _counts(event: Mapping[str, Any]) -> str:
    if not has_counts(event):
        return ""
    count, baseline = int(event.get("count", 0)), float(event.get("baseline", 0.0))
    people = f"投诉人 {event.get('complainants', 0)} 位"
    return f"{count} 条投诉（{_usual(baseline)}）· {people} · 渠道 {event.get('sources', 0)} 个"


def is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _samples(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Distinct samples, at most ``MAX_SAMPLES``: one per title (a forum post and its copy in a
    news feed are one story to the reader), or per link when there is no title."""
    out, seen = [], set()
    for s in event.get("samples") or []:
        key = s.get("title") or s.get("url") or s.get("id")
        if key in seen:
            continue
        seen.add(key)
        out.append(s)
    return out[:MAX_SAMPLES]


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


def _discover(event: Mapping[str, Any]) -> str:
    """The alert's posts in Kibana Discover (set when ``kibana.url`` is configured), if http(s)."""
    url = str((event.get("annotations") or {}).get("discover_url") or "")
    return url if is_http(url) else ""


def one_line(event: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Title, counts and reasons on one line, for logs."""
    reasons = "；".join(event.get("reasons") or [])
    counts = f" {_counts(event)}" if has_counts(event) else ""
    return f"{title(event, names)}{counts}" + (f" — {reasons}" if reasons else "")


def render(
    event: Mapping[str, Any],
    *,
    tz: tzinfo = SHANGHAI,
    names: Mapping[str, str] | None = None,
) -> Message:
    head = title(event, names)
    reasons = list(event.get("reasons") or [])
    series = [
        float(v) for v in event.get("series") or []
    ]  # optional: counts per step, oldest first
    lines = [head]
    if reasons:
        lines.append("原因：" + "；".join(reasons))
    if has_counts(event):
        lines.append("数量：" + _counts(event))
        lines.append("窗口：" + _window(event, tz))
    if series:
        lines.append("趋势：" + sparkline(series))
    if event.get("event") == "resolved" or event.get("state") == "resolved":
        lines.append("解除时间：" + _local(event.get("resolved_at"), tz))
    samples = _samples(event)
    if samples:
        lines.append("样本：")
        lines.extend(
            f"· {s.get('title') or '(无标题)'} {_sample_where(s)}".rstrip() for s in samples
        )
    if _discover(event):
        lines.append(f"Kibana：{_discover(event)}")
    lines.append(f"预警编号：{event.get('id', '')}")
    return Message(head, "\n".join(lines), _blocks(event, head, reasons, series, samples, tz))


def escape(text: str) -> str:
    """Slack treats these three as control characters in every text field."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str) -> str:
    # Inside <url|label> a "|" or ">" would end the URL early.
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _blocks(
    event: Mapping[str, Any],
    head: str,
    reasons: list[str],
    series: list[float],
    samples: list[dict[str, Any]],
    tz: tzinfo,
) -> list[dict[str, Any]]:
    count, baseline = event.get("count", 0), float(event.get("baseline", 0.0))
    level = f"{Severity(event['severity']).label}色 · {EVENTS.get(str(event.get('event')), '')}"
    fields = [f"*等级*\n{level}"]
    if has_counts(event):
        fields = [
            f"*数量*\n{count} 条投诉（{_usual(baseline)}）",
            f"*投诉人*\n{event.get('complainants', 0)} 位",
            f"*渠道*\n{event.get('sources', 0)} 个",
            *fields,
            f"*窗口*\n{_window(event, tz)}",
        ]
    if series:
        fields.append(f"*趋势*\n`{sparkline(series)}`")
    section: dict[str, Any] = {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": escape(f)[:2000]} for f in fields],
    }
    if reasons:
        section["text"] = {"type": "mrkdwn", "text": escape("原因：" + "；".join(reasons))[:3000]}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(head, 150), "emoji": True}},
        section,
    ]
    if samples:
        links = [
            f"• <{_link(s['url'])}|{escape(s.get('title') or '(无标题)')}>"
            if is_http(str(s.get("url") or ""))
            else f"• {escape(s.get('title') or '(无标题)')} {escape(_sample_where(s))}".rstrip()
            for s in samples
        ]
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "*样本*\n" + "\n".join(links)}}
        )
    context = escape(f"预警编号 {event.get('id', '')} · 产品 {event.get('product', '')}")
    if _discover(event):
        context += f" · <{_link(_discover(event))}|在 Kibana 中查看相关帖子>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return blocks


def cut(text: str, limit: int) -> str:
    """``text`` escaped and within ``limit`` characters, never ending inside an entity."""
    out = escape(text)
    while len(out) > limit:
        text = text[: max(0, len(text) - (len(out) - limit) - 1)] + "…"
        out = escape(text)
    return out


def _resolved(event: Mapping[str, Any]) -> bool:
    return event.get("event") == "resolved" or event.get("state") == "resolved"


def colour(event: Mapping[str, Any]) -> str:
    if _resolved(event):
        return RESOLVED_COLOUR
    return COLOURS.get(str(event.get("severity")), COLOURS["orange"])


def slack_message(
    event: Mapping[str, Any],
    *,
    tz: tzinfo = SHANGHAI,
    names: Mapping[str, str] | None = None,
    prefix: str = "",
) -> dict[str, Any]:
    """The wave's message as it stands after ``event``: the arguments of chat.postMessage or
    chat.update beside the channel. ``text`` is what notifications and old clients show;
    ``prefix`` goes before the title (a reminder says so)."""
    message = render(event, tz=tz, names=names)
    _, *details = message.blocks
    head = prefix + message.title
    return {
        "text": cut(prefix + message.text, 3000),
        "blocks": [_header(head)],
        "attachments": [{"color": colour(event), "fallback": cut(head, 300), "blocks": details}],
    }


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(text, 150), "emoji": True}}


def slack_group_message(
    head: str,
    events: Sequence[Mapping[str, Any]],
    *,
    tz: tzinfo = SHANGHAI,
    names: Mapping[str, str] | None = None,
    limit: int = 8,
) -> dict[str, Any]:
    """Several alerts in one message (a group, where a message cannot be edited later): the
    group's ``head`` as the header, then each alert in an attachment of its own colour, at most
    ``limit`` of them (Slack takes 50 blocks); ``text`` keeps them all, within Slack's length."""
    rendered = [render(e, tz=tz, names=names) for e in events]
    attachments = []
    for event, message in zip(events[:limit], rendered[:limit], strict=True):
        _, *details = message.blocks
        # A message has one header: each alert's title is a bold line of its attachment.
        name = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{cut(message.title, 2900)}*"},
        }
        attachments.append(
            {
                "color": colour(event),
                "fallback": cut(message.title, 300),
                "blocks": [name, *details],
            }
        )
    blocks = [_header(head)]
    if len(events) > limit:
        more = f"另有 {len(events) - limit} 条预警未列出（yujing status 可查看全部）"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {
        "text": cut("\n\n".join([head, *(m.text for m in rendered)]), 3000),
        "blocks": blocks,
        "attachments": attachments,
    }


def slack_reply(
    event: Mapping[str, Any],
    *,
    tz: tzinfo = SHANGHAI,
    names: Mapping[str, str] | None = None,
) -> str:
    """One line for the wave's thread: what changed with ``event`` (escaped mrkdwn)."""
    counts = _counts(event)
    kind = str(event.get("event"))
    if _resolved(event):
        line = f"已解除（{_local(event.get('resolved_at'), tz)}）"
        line += f"· 窗口内 {counts}" if counts else ""
        reasons = list(event.get("reasons") or [])
        if reasons:
            line += f" · {reasons[-1]}"  # the resolution's own reason comes last
    elif kind == "escalated":
        line = f"升级为{Severity(event['severity']).label}色预警"
    elif kind == "updated":
        line = "数量翻倍"
    else:
        line = title(event, names)
    if counts and not _resolved(event):
        line += " · " + counts
    return cut(line, 3000)


def slack_reminder(event: Mapping[str, Any], *, tz: tzinfo = SHANGHAI) -> str:
    """One line for the wave's thread when a firing wave is due a reminder (escaped mrkdwn)."""
    since = _local(event.get("started_at"), tz)
    return cut(f"仍在持续（{since} 起，尚未解除）· {_counts(event)}", 3000)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fields(
    event: Mapping[str, Any],
    *,
    tz: tzinfo = SHANGHAI,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One alert's fields for the templates (``yujing.config.templates.ALERT_FIELDS``; a
    notification adds the group's in ``messages.notification_fields``), in words people read:
    local times, names beside ids, sample links only where they are web pages."""
    names = names or {}
    kind = str(event.get("event") or event.get("state") or "firing")
    resolved = kind == "resolved" or event.get("state") == "resolved"
    category = str(event.get("category") or "")
    series = [float(v) for v in event.get("series") or []]
    samples = [
        {
            "title": _clip(str(s.get("title") or "(无标题)"), MAX_SAMPLE_TITLE),
            "url": str(s.get("url") or "") if is_http(str(s.get("url") or "")) else "",
            "where": _sample_where(s),
            "source": str(s.get("source") or ""),
            "id": str(s.get("id") or ""),
        }
        for s in _samples(event)
    ]
    return {
        "id": str(event.get("id", "")),
        "title": title(event, names),
        "event": kind,
        "event_label": EVENTS.get(kind, kind),
        "severity": str(event.get("severity", "")),
        "severity_label": Severity(event["severity"]).label,
        "resolved": resolved,
        "kind_label": kind_label(str(event.get("kind"))),
        "product": str(event.get("product", "")),
        "product_name": _product(event, names),
        "category": category,
        "category_name": names.get(category, category),
        "reasons": [str(r) for r in event.get("reasons") or []],
        "count": int(event.get("count", 0)),
        "usual": _usual(float(event.get("baseline", 0.0))),
        "complainants": int(event.get("complainants", 0)),
        "sources": int(event.get("sources", 0)),
        "counts": _counts(event),
        "window": _window(event, tz) if event.get("window_start") else "",
        "trend": sparkline(series),
        "started_at": _local(event.get("started_at"), tz),
        "updated_at": _local(event.get("updated_at"), tz),
        "resolved_at": _local(event.get("resolved_at"), tz) if event.get("resolved_at") else "",
        "samples": samples,
        "labels": dict(event.get("labels") or {}),
        "annotations": dict(event.get("annotations") or {}),
        "discover_url": _discover(event),
    }


# Markup characters of the chat apps' markdown (DingTalk, WeCom, Feishu lark_md) and their
# full-width forms. Their renderers differ and none documents one escape that works everywhere
# (backslashes show up literally in some, entities are decoded in others), while the full-width
# forms read naturally in Chinese text and mean nothing to any of them. "&" is included because an
# entity such as &lt; is decoded into the markup it names; "@" because a mention is markup.
_MD_SWAP = str.maketrans(
    {
        "\\": "＼",
        "*": "＊",
        "_": "＿",
        "~": "～",
        "`": "｀",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "#": "＃",
        "@": "＠",
        "|": "｜",
        "&": "＆",
        "$": "＄",
        "\r": " ",
        "\n": " ",
        "\t": " ",
    }
)


def md_escape(text: str) -> str:
    """User text that stays text in chat-app markdown: no link, mention, emphasis, heading or
    quote can be made of it, and no bare URL in it is turned into a link by the app."""
    # "://" is what the apps' autolinkers look for; a full-width colon keeps it readable.
    return str(text).translate(_MD_SWAP).replace("://", "：//")


def md_url(url: str) -> str | None:
    """``url`` made safe inside ``[label](url)``; None unless it is http(s)."""
    url = str(url).strip()
    if not is_http(url):
        return None
    # A ")" or a space would end the link early; quotes and brackets could start markup.
    for ch, code in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        url = url.replace(ch, code)
    return url.replace('"', "%22").replace("[", "%5B").replace("]", "%5D").replace("\n", "")
