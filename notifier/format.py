"""Alert messages for PR teams: Chinese first, short enough to read on a phone.

One event (``Alert.to_dict()`` plus ``"event"``) becomes a title, a plain-text body (for logs,
files and Slack's notification text) and Slack Block Kit blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from yujing.alerts import Severity
from yujing.records import parse_time

__all__ = ["Message", "render", "title", "one_line", "sparkline"]

KINDS = {"burst": "群体投诉苗头"}
EVENTS = {"firing": "新预警", "updated": "更新", "escalated": "升级", "resolved": "已解除"}
SPARKS = "▁▂▃▄▅▆▇█"
MAX_SAMPLES = 5
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    text: str
    blocks: list[dict[str, Any]]


def _product(event: Mapping[str, Any], names: Mapping[str, str]) -> str:
    pid = str(event.get("product", ""))
    return names.get(pid) or str(event.get("labels", {}).get("product_name") or pid)


def title(event: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """E.g. "【橙色预警】安心e生医疗险 群体投诉苗头 (firing)"; resolved -> "【已解除】…"."""
    what = KINDS.get(str(event.get("kind")), "投诉异常")
    subject = _product(event, names or {})
    if event.get("category"):
        subject += f"·{event['category']}"
    kind = event.get("event") or event.get("state", "firing")
    if kind == "resolved" or event.get("state") == "resolved":
        return f"【已解除】{subject} {what} (resolved)"
    colour = Severity(event["severity"]).label
    tag = "·升级" if kind == "escalated" else ""
    return f"【{colour}色预警{tag}】{subject} {what} ({kind})"


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


def _counts(event: Mapping[str, Any]) -> str:
    count, baseline = int(event.get("count", 0)), float(event.get("baseline", 0.0))
    ratio = f"，约 {count / baseline:.1f} 倍" if baseline > 0 else ""
    return (
        f"{count} 条（基线 {baseline:.1f} 条{ratio}）· "
        f"投诉人 {event.get('complainants', 0)} 位 · 来源 {event.get('sources', 0)} 个"
    )


def _samples(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(event.get("samples") or [])[:MAX_SAMPLES]


def one_line(event: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Title, counts and reasons on one line, for logs."""
    reasons = "；".join(event.get("reasons") or [])
    return f"{title(event, names)} {_counts(event)}" + (f" — {reasons}" if reasons else "")


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
            f"· {s.get('title') or '(无标题)'} {s.get('url', '')}".rstrip() for s in samples
        )
    lines.append(f"预警编号：{event.get('id', '')}")
    return Message(head, "\n".join(lines), _blocks(event, head, reasons, series, samples, tz))


def _escape(text: str) -> str:
    # Slack mrkdwn treats these three as control characters.
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
    fields = [
        f"*数量*\n{count} 条（基线 {baseline:.1f}）",
        f"*投诉人*\n{event.get('complainants', 0)} 位",
        f"*来源*\n{event.get('sources', 0)} 个",
        f"*等级*\n{level}",
        f"*窗口*\n{_window(event, tz)}",
    ]
    if series:
        fields.append(f"*趋势*\n`{sparkline(series)}`")
    section: dict[str, Any] = {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": _escape(f)[:2000]} for f in fields],
    }
    if reasons:
        section["text"] = {"type": "mrkdwn", "text": _escape("原因：" + "；".join(reasons))[:3000]}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:150], "emoji": True}},
        section,
    ]
    if samples:
        links = [
            f"• <{_link(s['url'])}|{_escape(s.get('title') or '(无标题)')}>"
            if s.get("url")
            else f"• {_escape(s.get('title') or '(无标题)')}"
            for s in samples
        ]
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "*样本*\n" + "\n".join(links)}}
        )
    context = f"预警编号 {event.get('id', '')} · 产品 {event.get('product', '')}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(context)}]})
    return blocks
