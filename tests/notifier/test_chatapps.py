"""DingTalk, WeCom and Feishu robots, at the wire: local stand-ins answer as the services do
(signatures checked, documented errors for bad signatures and rate limits) and the tests look
at what was sent."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from testkit.fakes.dingtalk import FakeDingTalk
from testkit.fakes.feishu import FakeFeishu
from testkit.fakes.wecom import FakeWeCom
from yujing import config as cfg
from yujing.notifier.dispatch import DeliveryReport, Notifier
from yujing.notifier.receivers import Refused, RetryLater
from yujing.notifier.receivers._http import RateWindow
from yujing.notifier.receivers.dingtalk import DingTalkReceiver
from yujing.notifier.receivers.feishu import FeishuReceiver
from yujing.notifier.receivers.wecom import WeComReceiver
from yujing.records import utcnow
from yujing.store import Store

from .conftest import make_config, make_event, notification
from .hostile import GOOD_LINK, assert_inert, hostile_event

NAMES = {"anxin-e": "安心e生医疗险"}
DING_SECRET = "SEC7d3f0c2b1a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2"
FEISHU_SECRET = "qW3rTy7uIoP9aSdF"


class Clock:
    """Wall time the test moves: the robots' rate limits and signatures read it."""

    def __init__(self, start: float = 1_714_543_200.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


def ding(
    fake: FakeDingTalk, secret: str | None = DING_SECRET, clock=None, **extra
) -> DingTalkReceiver:
    conf = cfg.DingTalkReceiver(
        name="ding-pr", type="dingtalk", webhook=fake.webhook, secret=secret, **extra
    )
    if clock is None:
        return DingTalkReceiver(conf, names=NAMES)
    return DingTalkReceiver(
        conf, names=NAMES, clock=clock, window=RateWindow((20, 60.0), clock=clock)
    )


# -- DingTalk


def test_dingtalk_signed_markdown_reaches_the_robot() -> None:
    with FakeDingTalk(secret=DING_SECRET) as fake:
        ding(fake).send(notification(make_event()))
    (request,) = fake.requests
    assert request.method == "POST" and request.path == "/robot/send"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    assert request.query["timestamp"].isdigit() and len(request.query["timestamp"]) == 13  # ms
    # The stand-in URL-decoded "sign" and checked it against its own computation.
    (body,) = fake.messages
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "【橙色预警】安心e生医疗险 群体投诉苗头"
    text = body["markdown"]["text"]
    assert text.startswith("### 【橙色预警】安心e生医疗险 群体投诉苗头")
    assert "**数量**：23 条投诉（平时约 2.1 条）· 投诉人 15 位 · 渠道 3 个" in text
    assert "**窗口**：2024-05-01 14:00–15:00（Asia/Shanghai）" in text
    assert "- [安心e生理赔被拒，大家一起投诉](https://bbs.example.cn/t/1)" in text
    assert "- [理赔难＜求助＞](https://feed.example.cn/a?x=1&y=2)" in text
    assert body["at"] == {"isAtAll": False, "atMobiles": [], "atUserIds": []}


def test_dingtalk_without_signing_sends_the_webhook_as_it_is() -> None:
    with FakeDingTalk() as fake:
        ding(fake, secret=None).send(notification(make_event("resolved")))
    (request,) = fake.requests
    assert set(request.query) == {"access_token"}
    assert fake.messages[0]["markdown"]["text"].startswith("### 【已解除】安心e生医疗险")
    assert "**解除时间**：2024-05-01 17:00" in fake.messages[0]["markdown"]["text"]


def test_dingtalk_wrong_secret_is_reported_as_the_signature_setting() -> None:
    with FakeDingTalk(secret=DING_SECRET) as fake, pytest.raises(Refused) as caught:
        ding(fake, secret="SECwrong").send(notification(make_event()))
    message = str(caught.value)
    assert "310000" in message and "加签" in message and "clock" in message
    assert fake.access_token not in message and "SECwrong" not in message
    assert fake.messages == []


def test_dingtalk_signature_an_hour_old_is_refused() -> None:
    clock = Clock()
    with FakeDingTalk(secret=DING_SECRET, clock=clock) as fake:
        receiver = ding(fake, clock=Clock(clock.now - 3601))  # this host's clock is off
        with pytest.raises(Refused, match="310000"):
            receiver.send(notification(make_event()))
        ding(fake, clock=clock).send(notification(make_event()))
    assert len(fake.messages) == 1


def test_dingtalk_keyword_setting_is_named_and_a_template_can_carry_the_keyword() -> None:
    with FakeDingTalk(keywords=["舆情"]) as fake:
        with pytest.raises(Refused, match="自定义关键词"):
            ding(fake, secret=None).send(notification(make_event()))
        ding(fake, secret=None, template="舆情预警：{{ title }}\n{{ counts }}").send(
            notification(make_event())
        )
    (body,) = fake.messages
    assert body["markdown"]["text"] == (
        "舆情预警：【橙色预警】安心e生医疗险 群体投诉苗头\n"
        "23 条投诉（平时约 2.1 条）· 投诉人 15 位 · 渠道 3 个"
    )


def test_dingtalk_unknown_token_says_to_copy_the_webhook_again() -> None:
    with FakeDingTalk() as fake:
        conf = cfg.DingTalkReceiver(
            name="d", type="dingtalk", webhook=fake.base + "/robot/send?access_token=nope"
        )
        with pytest.raises(Refused, match="copy the webhook URL again"):
            DingTalkReceiver(conf).send(notification(make_event()))


def test_dingtalk_keeps_under_20_a_minute_without_asking() -> None:
    clock = Clock()
    with FakeDingTalk(secret=DING_SECRET, clock=clock) as fake:
        receiver = ding(fake, clock=clock)
        for i in range(20):
            clock.now += 1
            receiver.send(notification(make_event(count=i)))
        clock.now += 1
        with pytest.raises(RetryLater) as caught:
            receiver.send(notification(make_event(count=99)))
        assert len(fake.requests) == 20  # the 21st never went out
        # Free again when the first of the 20 is a minute old: 60 - (21 - 1) seconds from now.
        assert caught.value.retry_after == pytest.approx(40.0)
        clock.now += 40
        receiver.send(notification(make_event(count=99)))
    assert len(fake.messages) == 21


def test_dingtalk_send_too_fast_waits_ten_minutes_through_the_outbox(store: Store) -> None:
    clock = Clock()
    # Another program shares the robot and used up its minute: DingTalk answers 130101.
    with FakeDingTalk(secret=DING_SECRET, per_minute=1, clock=clock) as fake:
        # Told at once and a second after each change: two notifications, one per event.
        route = {"receiver": "ding-pr", "group_wait": "0s", "group_interval": "1s"}
        config = make_config(
            notify={"receivers": [{"name": "ding-pr", "type": "log"}], "route": route}
        )
        notifier = Notifier(config, store, receivers={"ding-pr": ding(fake, clock=clock)})
        start = utcnow()
        notifier.submit(make_event("firing"), start - timedelta(seconds=1))
        assert notifier.flush(start - timedelta(seconds=1)) == 1
        notifier.submit(
            make_event("escalated", severity="red", updated_at="2024-05-01T07:30:00+00:00"),
            start,
        )
        assert notifier.deliver_due(start) == DeliveryReport(sent=1, failed=1)
        ((name, waiting, error),) = store.outbox.pending()
        assert (name, waiting) == ("ding-pr", 1) and "130101" in error and "RetryLater" in error
        clock.now += 599
        # Not due before DingTalk's ten minutes are up, and nothing is asked of it meanwhile.
        assert notifier.deliver_due(start + timedelta(seconds=599)) == DeliveryReport(0, 0)
        assert len(fake.requests) == 2
        clock.now += 2
        assert notifier.deliver_due(start + timedelta(seconds=601)) == DeliveryReport(1, 0)
    titles = [m["markdown"]["title"] for m in fake.messages]
    assert titles == [
        "【橙色预警】安心e生医疗险 群体投诉苗头",
        "【红色预警·升级】安心e生医疗险 群体投诉苗头",
    ]
    assert store.outbox.pending() == []


def test_dingtalk_user_text_stays_text() -> None:
    with FakeDingTalk(secret=DING_SECRET) as fake:
        ding(fake).send(notification(hostile_event()))
    body = fake.messages[0]
    assert_inert(body["markdown"]["text"])
    assert body["at"]["isAtAll"] is False


def test_failed_delivery_logs_and_keeps_no_credential(store: Store, caplog) -> None:
    with FakeDingTalk(secret=DING_SECRET) as fake:
        config = make_config(
            notify={
                "receivers": [{"name": "d", "type": "log"}],
                "route": {"receiver": "d", "group_wait": "0s"},
            }
        )
        receiver = ding(fake, secret="SECnot-the-one")
        notifier = Notifier(config, store, receivers={"d": receiver})
        notifier.submit(make_event())
        with caplog.at_level(logging.WARNING, logger="yujing.notifier"):
            assert notifier.deliver_due(utcnow()).failed == 1
    ((_, _, error),) = store.outbox.pending()
    for text in (error, caplog.text):
        assert "Refused" in text and "310000" in text
        assert fake.access_token not in text and "SECnot-the-one" not in text


# -- WeCom


def wecom(fake: FakeWeCom, clock=None, **extra) -> WeComReceiver:
    conf = cfg.WeComReceiver(name="wecom-pr", type="wecom", webhook=fake.webhook, **extra)
    return WeComReceiver(conf, names=NAMES, **({"clock": clock} if clock else {}))


def test_wecom_markdown_reaches_the_robot_by_its_key() -> None:
    with FakeWeCom() as fake:
        wecom(fake).send(notification(make_event()))
    (request,) = fake.requests
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": fake.key}
    (body,) = fake.messages
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.splitlines()[0] == "### 【橙色预警】安心e生医疗险 群体投诉苗头"
    assert (
        '> 原因：<font color="warning">1小时内 23 条投诉，是平常的 11 倍；出现集体维权用语</font>'
        in content
    )
    assert "- [安心e生理赔被拒，大家一起投诉](https://bbs.example.cn/t/1)" in content


def test_wecom_unknown_key_is_refused_clearly() -> None:
    with FakeWeCom() as fake:
        conf = cfg.WeComReceiver(
            name="w", type="wecom", webhook=fake.base + "/cgi-bin/webhook/send?key=old-key"
        )
        with pytest.raises(Refused) as caught:
            WeComReceiver(conf).send(notification(make_event()))
    assert "93000" in str(caught.value) and "old-key" not in str(caught.value)


def test_wecom_freq_out_of_limit_is_retried_after_a_minute() -> None:
    clock = Clock()
    with FakeWeCom(per_minute=1, clock=clock) as fake:
        receiver = wecom(fake, clock=clock)
        receiver.send(notification(make_event()))
        with pytest.raises(RetryLater, match="45009") as caught:
            receiver.send(notification(make_event("updated")))
        assert caught.value.retry_after == 60.0
        clock.now += 30
        with pytest.raises(RetryLater):  # held: the robot is not asked again meanwhile
            receiver.send(notification(make_event("updated")))
        assert len(fake.requests) == 2
        clock.now += 31
        receiver.send(notification(make_event("updated")))
    assert len(fake.messages) == 2


def test_wecom_keeps_under_20_a_minute_without_asking() -> None:
    clock = Clock()
    with FakeWeCom(clock=clock) as fake:
        receiver = wecom(fake, clock=clock)
        for _ in range(20):
            receiver.send(notification(make_event()))
        with pytest.raises(RetryLater):
            receiver.send(notification(make_event()))
    assert len(fake.requests) == 20


def test_wecom_long_messages_fit_in_4096_bytes() -> None:
    long_reasons = [f"第{i}条原因：" + "理赔被拒" * 60 for i in range(8)]
    with FakeWeCom() as fake:
        wecom(fake).send(notification(make_event(reasons=long_reasons)))
    content = fake.messages[0]["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.endswith("…（内容过长，已截断）")


def test_wecom_user_text_stays_text() -> None:
    with FakeWeCom() as fake:
        wecom(fake).send(notification(hostile_event()))
    content = fake.messages[0]["markdown"]["content"]
    assert_inert(content)
    # The template's own colour tag is there; the one written in a reason is not.
    assert content.count("<font") == 2


# -- Feishu / Lark


def feishu(
    fake: FakeFeishu, secret: str | None = FEISHU_SECRET, clock=None, **extra
) -> FeishuReceiver:
    conf = cfg.FeishuReceiver(
        name="feishu-pr", type="feishu", webhook=fake.webhook, secret=secret, **extra
    )
    if clock is None:
        return FeishuReceiver(conf, names=NAMES)
    return FeishuReceiver(
        conf, names=NAMES, clock=clock, window=RateWindow((5, 1.0), (100, 60.0), clock=clock)
    )


def test_feishu_signed_card_reaches_the_bot() -> None:
    with FakeFeishu(secret=FEISHU_SECRET) as fake:
        feishu(fake).send(notification(make_event()))
    (request,) = fake.requests
    assert request.path == f"/open-apis/bot/v2/hook/{fake.hook}" and request.query == {}
    (body,) = fake.messages
    assert body["timestamp"].isdigit() and len(body["timestamp"]) == 10  # seconds
    assert body["sign"]
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"] == {
        "title": {"tag": "plain_text", "content": "【橙色预警】安心e生医疗险 群体投诉苗头"},
        "template": "orange",
    }
    (element,) = card["elements"]
    assert element["tag"] == "div" and element["text"]["tag"] == "lark_md"
    content = element["text"]["content"]
    assert "**数量**：23 条投诉（平时约 2.1 条）· 投诉人 15 位 · 渠道 3 个" in content
    assert "- [安心e生理赔被拒，大家一起投诉](https://bbs.example.cn/t/1)" in content


def test_feishu_resolved_card_is_green() -> None:
    with FakeFeishu() as fake:
        feishu(fake, secret=None).send(notification(make_event("resolved")))
    body = fake.messages[0]
    assert "sign" not in body and "timestamp" not in body
    assert body["card"]["header"]["template"] == "green"
    assert body["card"]["header"]["title"]["content"].startswith("【已解除】")


def test_feishu_sign_match_fail_is_reported_as_the_signature_setting() -> None:
    with FakeFeishu(secret=FEISHU_SECRET) as fake, pytest.raises(Refused) as caught:
        feishu(fake, secret="not-it").send(notification(make_event()))
    assert "19021" in str(caught.value) and "签名校验" in str(caught.value)
    assert "not-it" not in str(caught.value) and fake.hook not in str(caught.value)
    assert fake.messages == []


def test_feishu_too_many_requests_is_retried_later() -> None:
    clock = Clock()
    with FakeFeishu(secret=FEISHU_SECRET, per_minute=1, clock=clock) as fake:
        receiver = feishu(fake, clock=clock)
        receiver.send(notification(make_event()))
        clock.now += 2
        with pytest.raises(RetryLater, match="9499") as caught:
            receiver.send(notification(make_event("updated")))
        assert caught.value.retry_after == 60.0
        clock.now += 61
        receiver.send(notification(make_event("updated")))
    assert len(fake.messages) == 2


def test_feishu_keeps_under_5_a_second_without_asking() -> None:
    clock = Clock()
    with FakeFeishu(secret=FEISHU_SECRET, clock=clock) as fake:
        receiver = feishu(fake, clock=clock)
        for _ in range(5):
            receiver.send(notification(make_event()))
        with pytest.raises(RetryLater) as caught:
            receiver.send(notification(make_event()))
        assert caught.value.retry_after == pytest.approx(1.0)
        clock.now += 1
        receiver.send(notification(make_event()))
    assert len(fake.requests) == 6 and len(fake.messages) == 6


def test_feishu_user_text_stays_text() -> None:
    with FakeFeishu(secret=FEISHU_SECRET) as fake:
        feishu(fake).send(notification(hostile_event()))
    content = fake.messages[0]["card"]["elements"][0]["text"]["content"]
    assert_inert(content)


def test_sample_links_are_made_only_for_web_pages() -> None:
    with FakeWeCom() as fake:
        wecom(fake).send(notification(hostile_event()))
    content = fake.messages[0]["markdown"]["content"]
    assert "[正常的帖子](https://bbs.example.cn/t/9?a=1&b=%282%29)" in content
    assert GOOD_LINK not in content  # its ")" would have ended the link early
    assert "［点我］(http：//evil.example/x)" in content  # shown as text, not followed


# -- a group's notification, a handling action


def group_of_two(**changes) -> tuple:
    claims = make_event(
        "escalated",
        id="burst:anxin-e/claims@1",
        key="burst:anxin-e/claims",
        category="claims",
        severity="red",
        **changes,
    )
    return make_event(), claims


def test_a_group_is_one_robot_message_with_every_alert() -> None:
    product, claims = group_of_two()
    with FakeDingTalk(secret=DING_SECRET) as fake:
        ding(fake).send(notification(product, claims, group_key='{product="anxin-e"}'))
    (body,) = fake.messages
    assert body["markdown"]["title"] == "【红色预警】安心e生医疗险 2 条预警"
    text = body["markdown"]["text"]
    assert text.startswith("### 【红色预警】安心e生医疗险 2 条预警\n")
    assert "#### 【橙色预警】安心e生医疗险 群体投诉苗头" in text
    assert "#### 【红色预警·升级】安心e生医疗险·claims 群体投诉苗头" in text
    assert text.count("预警编号：") == 2


def test_user_text_stays_text_in_a_group_in_every_app() -> None:
    group = notification(hostile_event(), hostile_event(id="burst:anxin-e/x@1", key="x"))
    with FakeDingTalk(secret=DING_SECRET) as ding_fake, FakeWeCom() as wecom_fake:
        ding(ding_fake).send(group)
        wecom(wecom_fake).send(group)
    with FakeFeishu(secret=FEISHU_SECRET) as feishu_fake:
        feishu(feishu_fake).send(group)
    for text in (
        ding_fake.messages[0]["markdown"]["text"],
        wecom_fake.messages[0]["markdown"]["content"],
        feishu_fake.messages[0]["card"]["elements"][0]["text"]["content"],
    ):
        assert_inert(text)
        assert text.count("点我") == 2, "both alerts' samples are there"


def test_a_handling_action_reaches_the_robot_as_a_short_note_its_words_inert() -> None:
    from datetime import UTC, datetime

    from yujing.alerts import Action, Handling

    at = datetime(2026, 11, 30, 2, 5, tzinfo=UTC)
    handling = Handling(
        make_event().id, Action.ASSIGN, "张三 @all", at, "[点我](http://evil.x)", "李四"
    )
    with FakeWeCom() as fake:
        wecom(fake).send(notification(make_event(), changed=frozenset(), handling=handling, at=at))
    content = fake.messages[0]["markdown"]["content"]
    first, *rest = content.splitlines()
    assert first == (
        "### 张三 ＠all 已指派给 李四：［点我］(http：//evil.x) · "
        "【橙色预警】安心e生医疗险 群体投诉苗头"
    )
    assert "> 时间：2026-11-30 10:05" in rest
    assert "@all" not in content and "](http" not in content
