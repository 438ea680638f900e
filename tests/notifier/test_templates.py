"""Message templates: the fields every receiver gets, the shipped templates, a receiver's own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from testkit.fakes.wecom import FakeWeCom
from yujing import config as cfg
from yujing.alerts import AlertEvent
from yujing.config.templates import ALERT_FIELDS, TEMPLATE_FIELDS, template_problem
from yujing.notifier.notification import Notification
from yujing.notifier.receivers import build_receivers
from yujing.notifier.receivers.dingtalk import DingTalkReceiver
from yujing.notifier.receivers.email import EmailReceiver
from yujing.notifier.receivers.feishu import FeishuReceiver
from yujing.notifier.receivers.webhook import WebhookReceiver
from yujing.notifier.receivers.wecom import WeComReceiver
from yujing.notifier.render import (
    MARKDOWN,
    PLAIN,
    MessageTemplate,
    alert_view,
    fit,
    notification_view,
)
from yujing.notifier.render.template import shipped

from .conftest import make_config, make_event, notification
from .hostile import TRAP_TITLE, hostile_event

SHIPPED = ["dingtalk.md.j2", "wecom.md.j2", "feishu.md.j2", "text.txt.j2"]


def fields(event: AlertEvent, names: dict[str, str] | None = None) -> dict[str, Any]:
    return alert_view(event, names=names).fields()


def notification_fields(n: Notification, names: dict[str, str] | None = None) -> dict[str, Any]:
    return notification_view(n, names=names).fields()


def test_fields_are_the_documented_set_in_chinese() -> None:
    f = fields(
        make_event(category="claims"), names={"anxin-e": "安心e生医疗险", "claims": "理赔难"}
    )
    assert set(f) == ALERT_FIELDS
    assert f["title"] == "【橙色预警】安心e生医疗险·理赔难 群体投诉苗头"
    assert (f["event_label"], f["severity_label"], f["kind_label"]) == (
        "新预警",
        "橙",
        "群体投诉苗头",
    )
    assert (f["product_name"], f["category_name"]) == ("安心e生医疗险", "理赔难")
    assert f["usual"] == "平时约 2.1 条" and f["started_at"] == "2024-05-01 14:00"
    assert f["resolved"] is False and f["resolved_at"] == ""
    assert f["samples"][1] == {
        "title": "理赔难<求助>",
        "url": "https://feed.example.cn/a?x=1&y=2",
        "where": "https://feed.example.cn/a?x=1&y=2",
        "source": "feed",
        "id": "p2",
    }


def test_a_notification_gives_one_alerts_fields_and_the_groups() -> None:
    names = {"anxin-e": "安心e生医疗险", "claims": "理赔难"}
    one = notification_fields(notification(make_event()), names=names)
    assert set(one) == TEMPLATE_FIELDS
    # One alert: its own fields at the top, as a template written for one alert expects.
    assert {k: one[k] for k in ALERT_FIELDS} == fields(make_event(), names=names)
    assert one["alerts"] == [fields(make_event(), names=names)]
    assert (one["status"], one["repeat"], one["handling"]) == ("firing", False, "")
    claims = make_event("escalated", id="burst:anxin-e/claims@1", category="claims", severity="red")
    resolved = make_event("resolved", id="burst:anxin-e/sales@1", category="sales")
    group = notification_fields(notification(make_event(), claims, resolved), names=names)
    assert group["title"] == "【红色预警】安心e生医疗险 2 条预警，1 条已解除"
    assert (group["firing_count"], group["resolved_count"]) == (2, 1)
    # The lead alert is the most severe one still firing.
    assert (group["id"], group["severity"]) == (claims.id, "red")
    assert [a["title"] for a in group["alerts"]] == [
        "【橙色预警】安心e生医疗险 群体投诉苗头",
        "【红色预警·升级】安心e生医疗险·理赔难 群体投诉苗头",
        "【已解除】安心e生医疗险·sales 群体投诉苗头",
    ]
    # An alert in the group only to show it is shown as it stands, without "升级".
    quiet = notification(make_event(), claims, changed=frozenset({make_event().id}))
    assert notification_fields(quiet, names=names)["alerts"][1]["title"] == (
        "【红色预警】安心e生医疗险·理赔难 群体投诉苗头"
    )


def test_shipped_templates_show_every_alert_of_a_group() -> None:
    names = {"anxin-e": "安心e生医疗险"}
    other = make_event(id="burst:anxin-e/claims@1", category="claims", reasons=["理赔类投诉 9 条"])
    f = notification_fields(notification(make_event(), other), names=names)
    for name, markup in [("dingtalk.md.j2", MARKDOWN), ("text.txt.j2", PLAIN)]:
        text = MessageTemplate(shipped(name), markup).render(f)
        assert text.count("预警编号：") == 2, (name, text)
        assert "理赔类投诉 9 条" in text and "安心e生医疗险·claims" in text, name
        assert text.splitlines()[0].endswith("【橙色预警】安心e生医疗险 2 条预警"), name


def test_shipped_templates_keep_one_alert_as_it_was() -> None:
    text = MessageTemplate(shipped("text.txt.j2"), PLAIN).render(
        notification_fields(notification(make_event()), names={"anxin-e": "安心e生医疗险"})
    )
    assert text.splitlines()[:3] == [
        "【橙色预警】安心e生医疗险 群体投诉苗头",
        "原因：1小时内 23 条投诉，是平常的 11 倍；出现集体维权用语",
        "数量：23 条投诉（平时约 2.1 条）· 投诉人 15 位 · 渠道 3 个",
    ]
    assert text.count("预警编号：") == 1 and "安心e生医疗险 群体投诉苗头\n\n" not in text


def test_shipped_templates_are_in_the_package_and_valid() -> None:
    folder = resources.files("yujing.notifier.render") / "templates"
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".j2")) == sorted(SHIPPED)
    for name in SHIPPED:
        assert template_problem(shipped(name)) is None, name


def test_every_value_is_escaped_even_in_a_template_of_ones_own() -> None:
    own = (
        "{{ samples[0].title }} | {{ samples[0].title | link(samples[0].url) }} | {{ 'ok' | raw }}"
    )
    text = MessageTemplate(own, MARKDOWN).render(fields(hostile_event()))
    assert "[点我]" not in text and "@all" not in text and "<at" not in text
    assert text.endswith("| ok") and "javascript" not in text
    # Plain text (e-mail, the webhook's text) shows it as written.
    plain = MessageTemplate("{{ samples[0].title }}", PLAIN).render(fields(hostile_event()))
    assert plain == TRAP_TITLE


def test_a_template_file_of_ones_own_is_what_the_robot_gets(tmp_path: Path) -> None:
    template = tmp_path / "wecom.md.j2"
    template.write_text(
        "## {{ severity_label }}色 {{ product_name }}\n"
        "{% for s in samples %}- {{ s.title | link(s.url) }}\n{% endfor %}",
        encoding="utf-8",
    )
    with FakeWeCom() as fake:
        conf = cfg.WeComReceiver(
            name="w", type="wecom", webhook=fake.webhook, template_file=template
        )
        WeComReceiver(conf, names={"anxin-e": "安心e生医疗险"}).send(notification(make_event()))
    assert fake.messages[0]["markdown"]["content"] == (
        "## 橙色 安心e生医疗险\n"
        "- [安心e生理赔被拒，大家一起投诉](https://bbs.example.cn/t/1)\n"
        "- [理赔难＜求助＞](https://feed.example.cn/a?x=1&y=2)"
    )


def test_fit_cuts_at_a_line_end_within_the_byte_limit() -> None:
    text = "\n".join(f"第{i}行 [链接](https://example.cn/{i})" for i in range(200))
    cut = fit(text, 1000)
    assert len(cut.encode("utf-8")) <= 1000
    assert all(line.endswith(")") for line in cut.splitlines()[:-1])
    assert cut.endswith("…（内容过长，已截断）")
    assert fit("短", 1000) == "短"


def test_build_receivers_makes_the_chat_apps_email_and_webhook(tmp_path: Path) -> None:
    config = make_config(
        notify={
            "receivers": [
                {
                    "name": "d",
                    "type": "dingtalk",
                    "webhook": "https://o.example/robot/send?access_token=t",
                },
                {"name": "w", "type": "wecom", "webhook": "https://q.example/send?key=k"},
                {
                    "name": "f",
                    "type": "feishu",
                    "webhook": "https://open.feishu.cn/open-apis/bot/v2/hook/h",
                },
                {
                    "name": "m",
                    "type": "email",
                    "host": "smtp",
                    "sender": "a@b.cn",
                    "to": ["c@d.cn"],
                },
                {"name": "h", "type": "webhook", "url": "https://h.example/x", "secret": "s"},
            ],
            "route": {"receiver": "d"},
        }
    )
    built = build_receivers(config)
    assert {k: type(v) for k, v in built.items()} == {
        "d": DingTalkReceiver,
        "w": WeComReceiver,
        "f": FeishuReceiver,
        "m": EmailReceiver,
        "h": WebhookReceiver,
    }
    assert built["d"].names == {"anxin-e": "安心e生医疗险"}


def test_shipped_templates_link_to_discover_when_the_alert_has_a_link() -> None:
    link = "https://kibana.example.cn/app/discover#/?_a=(index:yujing-posts)"
    claims_link = "https://kibana.example.cn/app/discover#/?_a=(index:yujing-posts,claims)"
    with_link = notification_fields(notification(make_event(annotations={"discover_url": link})))
    # A group: each alert links to its own posts.
    claims = make_event(
        id="burst:anxin-e/claims@1", category="claims", annotations={"discover_url": claims_link}
    )
    group = notification_fields(
        notification(make_event(annotations={"discover_url": link}), claims)
    )
    without = notification_fields(notification(make_event()))
    # Brackets are encoded inside a markdown link (Kibana decodes them again).
    md = "https://kibana.example.cn/app/discover#/?_a=%28index:yujing-posts%29"
    claims_md = "https://kibana.example.cn/app/discover#/?_a=%28index:yujing-posts,claims%29"
    for name, markup, expected, expected_claims in [
        ("dingtalk.md.j2", MARKDOWN, f"[在 Kibana 中查看相关帖子]({md})", claims_md),
        ("wecom.md.j2", MARKDOWN, f"[在 Kibana 中查看相关帖子]({md})", claims_md),
        ("feishu.md.j2", MARKDOWN, f"[在 Kibana 中查看相关帖子]({md})", claims_md),
        ("text.txt.j2", PLAIN, f"Kibana：相关帖子 {link}", claims_link),
    ]:
        template = MessageTemplate(shipped(name), markup)
        assert expected in template.render(with_link), name
        assert "Kibana" not in template.render(without), name
        text = template.render(group)
        assert text.count("Kibana") == 2, (name, text)
        assert expected in text and expected_claims in text, name
        # Each link follows its own alert, before the alert's id.
        assert text.index(expected) < text.index("burst/anxin-e/-@") < text.index(expected_claims)
