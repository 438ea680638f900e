from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from yujing.alerts import AlertEvent
from yujing.notifier.render import alert_text, alert_view, one_line
from yujing.notifier.render import slack as render_slack
from yujing.notifier.render.view import sparkline
from yujing.views import AlertView

from .conftest import make_event

NAMES = {"anxin-e": "安心e生医疗险"}


def view(event: AlertEvent, names: dict[str, str] | None = None, **kw: Any) -> AlertView:
    return alert_view(event, names=names, **kw)


def title(event: AlertEvent, names: dict[str, str] | None = None) -> str:
    return view(event, names).title


def text(event: AlertEvent, names: dict[str, str] | None = NAMES, **kw: Any) -> str:
    return alert_text(view(event, names, **kw))


def blocks(event: AlertEvent) -> list[dict[str, Any]]:
    """The message's header, then its details."""
    message = render_slack.message(view(event, NAMES))
    return message["blocks"] + message["attachments"][0]["blocks"]


def test_title_is_chinese_first() -> None:
    assert title(make_event(), NAMES) == "【橙色预警】安心e生医疗险 群体投诉苗头"
    assert title(make_event("escalated", severity="red"), NAMES) == (
        "【红色预警·升级】安心e生医疗险 群体投诉苗头"
    )
    assert title(make_event("updated"), NAMES) == "【橙色预警·更新】安心e生医疗险 群体投诉苗头"
    assert title(make_event("resolved"), NAMES) == "【已解除】安心e生医疗险 群体投诉苗头"
    category = make_event(category="claims")
    assert title(category, NAMES | {"claims": "理赔难/拒赔"}).endswith(
        "安心e生医疗险·理赔难/拒赔 群体投诉苗头"
    )
    # Without a name, the product id still says which product it is.
    assert "anxin-e" in title(make_event())


def test_text_has_reasons_counts_window_in_local_time_and_samples() -> None:
    said = text(make_event(), tz=ZoneInfo("Asia/Shanghai"))
    lines = said.splitlines()
    assert lines[0] == "【橙色预警】安心e生医疗险 群体投诉苗头"
    assert not any(w in said for w in ("firing", "updated", "resolved", "baseline"))
    assert "原因：1小时内 23 条投诉，是平常的 11 倍；出现集体维权用语" in lines
    assert "数量：23 条投诉（平时约 2.1 条）· 投诉人 15 位 · 渠道 3 个" in lines
    assert "窗口：2024-05-01 14:00–15:00（Asia/Shanghai）" in lines
    assert "· 安心e生理赔被拒，大家一起投诉 https://bbs.example.cn/t/1" in lines
    assert lines[-1] == "预警编号：burst/anxin-e/-@2024-05-01T06:00:00+00:00"


def test_window_follows_the_team_time_zone() -> None:
    assert "窗口：2024-05-01 07:00–08:00（Europe/London）" in text(
        make_event(), tz=ZoneInfo("Europe/London")
    )


def test_resolved_message_says_when() -> None:
    said = text(make_event("resolved"))
    assert said.startswith("【已解除】安心e生医疗险")
    assert "解除时间：2024-05-01 17:00" in said


def test_sparkline_when_the_event_carries_a_series() -> None:
    assert sparkline([0, 1, 2, 7]) == "▁▂▃█"
    assert sparkline([3, 3]) == "▁▁"
    assert sparkline([]) == ""
    assert "趋势：▂▁▃█" in text(make_event(series=[1, 0, 2, 9]))
    assert "趋势" not in text(make_event())


def test_slack_blocks_header_fields_samples_context() -> None:
    shown = blocks(make_event())
    assert [b["type"] for b in shown] == ["header", "section", "section", "context"]
    assert shown[0]["text"] == {
        "type": "plain_text",
        "text": "【橙色预警】安心e生医疗险 群体投诉苗头",
        "emoji": True,
    }
    fields = [f["text"] for f in shown[1]["fields"]]
    assert "*数量*\n23 条投诉（平时约 2.1 条）" in fields
    assert "*投诉人*\n15 位" in fields
    assert "*等级*\n橙色 · 新预警" in fields
    assert shown[1]["text"]["text"].startswith("原因：1小时内 23 条投诉")
    samples = shown[2]["text"]["text"]
    assert "<https://bbs.example.cn/t/1|安心e生理赔被拒，大家一起投诉>" in samples
    # Slack's control characters are escaped in labels, and the URL keeps its query intact.
    assert "<https://feed.example.cn/a?x=1&y=2|理赔难&lt;求助&gt;>" in samples
    assert "burst/anxin-e/-@" in shown[3]["elements"][0]["text"]


def test_one_line_for_logs() -> None:
    line = one_line(view(make_event(), NAMES))
    assert "\n" not in line
    assert line.startswith("【橙色预警】安心e生医疗险") and "23 条" in line and "集体维权" in line


def test_samples_are_distinct_and_only_web_pages_are_links() -> None:
    call = {
        "id": "c9",
        "title": "来电：理赔被拒",
        "url": "transcript://hotline/calls.csv#3",
        "source": "hotline",
    }
    web = {"id": "p1", "title": "理赔被拒", "url": "https://bbs.example.cn/t/1", "source": "forum"}
    odd = {"id": "p2", "title": "点这里", "url": "javascript:alert(1)", "source": "forum"}
    event = make_event(samples=[web, dict(web, id="p1-copy"), call, odd], baseline=0.02)
    said = text(event)
    assert said.count("https://bbs.example.cn/t/1") == 1
    assert "· 来电：理赔被拒 （hotline 记录 c9）" in said
    assert "javascript:" not in said and "transcript://" not in said
    assert "平时几乎没有" in said
    samples = blocks(event)[2]["text"]["text"]
    assert samples.count("<https://") == 1 and "<javascript" not in samples


def test_the_discover_link_is_in_the_text_the_slack_blocks_and_the_fields() -> None:
    link = "https://kibana.example.cn/app/discover#/?_a=(index:yujing-posts)"
    event = make_event(annotations={"discover_url": link})
    assert f"Kibana：相关帖子 {link}" in text(event).splitlines()
    assert view(event).discover_url == link
    context = blocks(event)[-1]["elements"][0]["text"]
    assert context.endswith(f" · <{link}|在 Kibana 中查看相关帖子>")
    # Only http(s): anything else is not made into a link anywhere.
    bad = make_event(annotations={"discover_url": "javascript:alert(1)"})
    assert view(bad).discover_url == ""
    assert "javascript" not in text(bad)
    assert "Kibana" not in str(blocks(bad))
    assert view(make_event()).discover_url == ""


def test_a_source_health_alert_says_nothing_of_complaint_counts() -> None:
    """A failing source is not a wave: no 数量, 投诉人 or 窗口 lines in any rendering."""
    from yujing.alerts import Alert, AlertState, EventKind, Severity

    at = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    alert = Alert(
        "source:board",
        "source:board@20261130T040000Z",
        Severity.ORANGE,
        AlertState.FIRING,
        at,
        at,
        labels={"kind": "source", "source": "board", "product_name": "论坛 board"},
        reasons=("论坛 board 连续 3 次抓取失败：列表页选择器 list.link 没有匹配到任何内容",),
    )
    shown = view(AlertEvent(EventKind.FIRING, alert))
    said = alert_text(shown)
    assert shown.title == "【橙色预警】论坛 board 数据源抓取异常"
    assert "连续 3 次抓取失败" in said
    for words in ("数量", "投诉人", "窗口", "渠道"):
        assert words not in said
        assert words not in one_line(shown)
        assert words not in json.dumps(render_slack.message(shown), ensure_ascii=False)
        assert words not in render_slack.reply(shown)
    assert shown.counts == "" and shown.window == ""
