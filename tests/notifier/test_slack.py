"""The Slack receiver at the wire: slack_sdk's real client against the local Slack stand-in."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from slack_sdk.errors import SlackApiError, SlackRequestError

from testkit.fakes.slack import FakeSlack
from yujing import config as cfg
from yujing.alerts import AlertEvent
from yujing.notifier.dispatch import DeliveryReport, Notifier
from yujing.notifier.receivers import RetryLater
from yujing.notifier.receivers.slack import (
    EVENT_TYPE,
    SlackReceiver,
    SlackWebhookReceiver,
    event_key,
)
from yujing.records import utcnow
from yujing.store import Store

from .conftest import make_config, notification
from .conftest import make_event as plain_event

TOKEN = "xoxb-1111-2222-fake"
NAMES = {"anxin-e": "安心e生医疗险"}


SERIES = [0, 1, 0, 0, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 2, 3, 5, 6, 4, 3]


def make_event(kind: str = "firing", **changes: Any) -> AlertEvent:
    """An event with the posts per bucket a chart is drawn from."""
    return plain_event(kind, **{"series": SERIES, **changes})


def slack_conf(url: str, token: str = TOKEN, channel: str = "#预警") -> cfg.SlackReceiver:
    return cfg.SlackReceiver(
        name="slack-pr", type="slack", token=token, channel=channel, base_url=url
    )


def receiver(slack: FakeSlack, store: Store, **kw: Any) -> SlackReceiver:
    return SlackReceiver(slack_conf(slack.api_url), store.chat, names=NAMES, **kw)


def wave() -> list[AlertEvent]:
    """One wave's events as the lifecycle names them: fired, escalated, doubled, resolved."""
    return [
        make_event(),
        make_event("escalated", severity="red", count=46, updated_at="2024-05-01T07:10:00+00:00"),
        make_event("updated", severity="red", count=92, updated_at="2024-05-01T07:30:00+00:00"),
        make_event(
            "resolved",
            severity="red",
            count=12,
            reasons=["1小时内 23 条投诉，是平常的 11 倍", "投诉回落到平常水平"],
        ),
    ]


def calls(slack: FakeSlack, method: str) -> list[dict[str, Any]]:
    return [r.body for r in slack.requests if r.path == f"/api/{method}"]


# ---------------------------------------------------------------- one conversation per wave


def test_first_event_posts_one_message_tagged_coloured_and_charted(store: Store) -> None:
    with FakeSlack(token=TOKEN) as slack:
        receiver(slack, store).send(notification(make_event()))
    (post,) = slack.messages()
    assert post["channel"] == "#预警"
    assert post["text"].startswith("【橙色预警】安心e生医疗险 群体投诉苗头")
    assert "投诉人 15 位" in post["text"]
    assert post["blocks"][0]["type"] == "header"
    (attachment,) = post["attachments"]
    assert attachment["color"] == "#EF6C00"  # orange
    assert attachment["fallback"] == "【橙色预警】安心e生医疗险 群体投诉苗头"
    assert [b["type"] for b in attachment["blocks"]] == ["section", "section", "context"]
    assert post["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {
            "alert_id": make_event().id,
            "event_id": event_key(make_event()),
            "event": "firing",
        },
    }
    # The chart went up in three steps and was shared into the message's thread.
    (top,) = slack.channel_messages()
    (chart,) = slack.replies(top["ts"])
    assert chart["subtype"] == "file_share"
    (file_id,) = slack.uploads
    assert slack.uploads[file_id].startswith(b"\x89PNG\r\n\x1a\n")
    (complete,) = calls(slack, "files.completeUploadExternal")
    assert complete["channel_id"] == "C123" and complete["thread_ts"] == top["ts"]
    row = store.chat.get("slack-pr", make_event().id)
    assert row is not None and (row.channel, row.ts) == ("C123", top["ts"])
    assert row.told == event_key(make_event()) and row.sending is None


def test_later_events_edit_the_message_and_reply_in_its_thread(store: Store) -> None:
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        for event in wave():
            r.send(notification(event))
    (top,) = slack.channel_messages()
    # The message shows the wave as it ended: resolved, in green, with the resolution time.
    assert top["text"].startswith("【已解除】安心e生医疗险")
    assert "解除时间：2024-05-01 17:00" in top["text"]
    assert top["attachments"][0]["color"] == "#2E7D32"
    assert top["metadata"]["event_payload"]["event"] == "resolved"
    updates = calls(slack, "chat.update")
    assert [u["ts"] for u in updates] == [top["ts"]] * 3
    assert [u["channel"] for u in updates] == ["C123"] * 3
    chart, *replies = slack.replies(top["ts"])
    assert chart["subtype"] == "file_share"
    texts = [m["text"] for m in replies]
    assert texts[0].startswith("升级为红色预警 · 46 条投诉")
    assert texts[1].startswith("数量翻倍 · 92 条投诉")
    assert texts[2].startswith("已解除（2024-05-01 17:00）")
    assert texts[2].endswith("投诉回落到平常水平")
    assert [m["metadata"]["event_payload"]["event"] for m in replies] == [
        "escalated",
        "updated",
        "resolved",
    ]
    assert len(slack.uploads) == 1  # one chart per wave


def test_edits_go_to_the_same_message_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "yujing.db"
    first, *later = wave()
    with FakeSlack(token=TOKEN) as slack:
        before = Store(path)
        receiver(slack, before).send(notification(first))
        before.close()
        after = Store(path)  # a new process: only the store remembers the message
        try:
            for event in later:
                receiver(slack, after).send(notification(event))
        finally:
            after.close()
    (top,) = slack.channel_messages()
    assert {u["ts"] for u in calls(slack, "chat.update")} == {top["ts"]}
    assert len(slack.replies(top["ts"])) == 1 + 3


def test_an_event_told_already_is_not_sent_again(store: Store) -> None:
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        first, second, *_ = wave()
        r.send(notification(first))
        r.send(notification(second))
        sent = len(slack.requests)
        r.send(notification(second))  # delivered, but the outbox never heard (a crash right after)
        assert len(slack.requests) == sent


# ---------------------------------------------------------------- escaping


HOSTILE = "<!channel> <@U123> <!here|x> a&b <https://evil.example|点我>"


def hostile_event(kind: str = "firing", **changes: Any) -> AlertEvent:
    return make_event(
        kind,
        category="claims<!channel>",
        reasons=[HOSTILE, "出现集体维权用语 <!everyone>"],
        labels={
            "product": "anxin-e",
            "kind": "burst",
            "product_name": HOSTILE,
            "category": "claims<!channel>",
        },
        samples=[
            {"id": "p1<@U9>", "title": HOSTILE, "url": "https://bbs.example.cn/t/1?a=1&b=<@U2>"},
            {
                "id": "p2",
                "title": "无链接 <!subteam^S1>",
                "url": "tel:<!channel>",
                "source": "<@U3>",
            },
            {"id": "p3", "title": "", "url": "javascript:alert(1)|<!here>"},
        ],
        **changes,
    )


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


# Markup Slack acts on: a "<" opens a mention, a channel ping or a link. What we send may
# hold only links we made, to http(s) URLs.
MARKUP = re.compile(r"<([^>]*)>?")


def assert_no_markup_but_links(body: dict[str, Any]) -> None:
    shown = {k: v for k, v in body.items() if k != "metadata"}  # metadata is never shown
    for text in strings(shown):
        for m in MARKUP.finditer(text):
            assert re.fullmatch(r"https?://[^|<>\s]+\|[^<>]*", m.group(1)), (m.group(0), text)
        assert "<!" not in text and "<@" not in text


def test_hostile_text_is_escaped_in_every_field(store: Store) -> None:
    events = [
        hostile_event(),
        hostile_event("escalated", severity="red", updated_at="2024-05-01T07:10:00+00:00"),
        hostile_event("resolved"),
    ]
    with FakeSlack(token=TOKEN) as slack:
        r = SlackReceiver(
            slack_conf(slack.api_url), store.chat, names={"claims<!channel>": HOSTILE}
        )
        for event in events:
            r.send(notification(event))
    bodies = calls(slack, "chat.postMessage") + calls(slack, "chat.update")
    assert len(bodies) == 3 + 2  # the message and two replies; two edits
    for body in bodies:
        assert_no_markup_but_links(body)
    post = slack.messages()[0]
    # The text is all there, escaped: Slack shows it as written.
    assert "&lt;!channel&gt; &lt;@U123&gt;" in post["text"]
    assert "a&amp;b" in post["text"]
    assert "&lt;!channel&gt;" in post["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt;" in post["attachments"][0]["fallback"]
    samples = post["attachments"][0]["blocks"][1]["text"]["text"]
    # The one http(s) sample is a link, its URL kept whole; the others are not links.
    assert "<https://bbs.example.cn/t/1?a=1&b=%3C@U2%3E|&lt;!channel&gt;" in samples
    assert "<tel:" not in samples and "<javascript:" not in samples
    (top,) = slack.channel_messages()
    resolved = slack.replies(top["ts"])[-1]["text"]
    assert resolved.endswith("出现集体维权用语 &lt;!everyone&gt;")
    assert [c["title"] for c in calls(slack, "files.completeUploadExternal")[0]["files"]] == [
        "投诉数量与平时水平"
    ]


def test_hostile_text_is_escaped_through_the_webhook() -> None:
    with FakeSlack() as slack:
        hook = SlackWebhookReceiver(webhook_conf(slack.webhook_url))
        hook.send(notification(hostile_event()))
    (body,) = slack.webhook_posts
    assert_no_markup_but_links(body)
    assert "&lt;!channel&gt;" in body["text"]


# ---------------------------------------------------------------- rate limits


def test_rate_limit_becomes_retry_later_with_its_retry_after(store: Store) -> None:
    with FakeSlack(token=TOKEN) as slack:
        slack.rate_limit(times=1, retry_after=7)
        r = receiver(slack, store)
        with pytest.raises(RetryLater) as caught:
            r.send(notification(make_event()))
        assert caught.value.retry_after == 7
        r.send(notification(make_event()))  # the next call goes through
    assert len(slack.messages()) == 1


def test_a_rate_limited_edit_is_retried_without_a_second_reply(store: Store) -> None:
    first, second, *_ = wave()
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        r.send(notification(first))
        slack.rate_limit(times=1, retry_after=3)
        with pytest.raises(RetryLater):
            # The edit was refused; nothing of this event reached Slack.
            r.send(notification(second))
        r.send(notification(second))
        (top,) = slack.channel_messages()
        assert [m["text"][:7] for m in slack.replies(top["ts"])[1:]] == ["升级为红色预警"]
        assert len(calls(slack, "conversations.replies")) == 0  # nothing was in doubt


def test_the_outbox_waits_slacks_retry_after(store: Store) -> None:
    with FakeSlack(token=TOKEN) as slack:
        notifier = Notifier(
            make_config(notify={"receivers": [], "route": {}}),
            store,
            receivers={"slack-pr": receiver(slack, store)},
        )
        store.outbox.enqueue("slack-pr", notification(make_event()).to_dict())
        slack.rate_limit(times=1, retry_after=30)
        start = utcnow()
        assert notifier.deliver_due(start) == DeliveryReport(0, 1)
        assert notifier.deliver_due(start + timedelta(seconds=29)) == DeliveryReport(0, 0)
        assert notifier.deliver_due(start + timedelta(seconds=31)) == DeliveryReport(1, 0)
    assert len(slack.channel_messages()) == 1


# ---------------------------------------------------------------- a send whose answer was lost


def test_a_slow_slack_gives_one_message(store: Store) -> None:
    """Slack takes the message but answers after the client gave up (as a 12 s Slack does with
    a 10 s timeout): the retry finds the message by its metadata and adopts it."""
    first, second, *_ = wave()
    with FakeSlack(token=TOKEN) as slack:
        notifier = Notifier(
            make_config(notify={"receivers": [], "route": {}}),
            store,
            receivers={"slack-pr": receiver(slack, store, timeout=1)},
        )
        store.outbox.enqueue("slack-pr", notification(first).to_dict())
        store.outbox.enqueue("slack-pr", notification(second).to_dict())
        slack.slow(times=1)
        start = utcnow()
        assert notifier.deliver_due(start) == DeliveryReport(0, 1)
        assert len(slack.channel_messages()) == 1  # it arrived; we did not hear
        (pending,) = [r for r in store.outbox.queue("slack-pr") if r.attempts]
        assert (
            "timed out"
            in store.db.execute(
                "SELECT last_error FROM outbox WHERE id=?", (pending.id,)
            ).fetchone()[0]
        )
        assert notifier.deliver_due(start + timedelta(hours=1)) == DeliveryReport(2, 0)
        # The reply of the second event is slow too: still one reply.
        slack.slow(times=1)
        store.outbox.enqueue("slack-pr", notification(wave()[2]).to_dict())
        assert notifier.deliver_due(start + timedelta(hours=2)) == DeliveryReport(0, 1)
        assert notifier.deliver_due(start + timedelta(hours=3)) == DeliveryReport(1, 0)
    (top,) = slack.channel_messages()
    assert len(slack.messages()) == 1 + 2
    (history,) = calls(slack, "conversations.history")
    assert history["channel"] == "C123"  # "#预警" looked up by name: history takes an id
    assert history["include_all_metadata"] in (True, "1", "true")
    assert len(calls(slack, "conversations.list")) == 1
    assert len(calls(slack, "conversations.replies")) == 1
    chart, *replies = slack.replies(top["ts"])
    assert [m["metadata"]["event_payload"]["event"] for m in replies] == ["escalated", "updated"]
    assert top["metadata"]["event_payload"]["event"] == "updated"  # the adopted message edited


def test_a_connection_closed_after_slack_took_the_message_is_not_resent_blindly(
    store: Store,
) -> None:
    """slack_sdk retries a dropped connection by default; a request that went out is not its to
    repeat (it may have arrived), so only the search decides."""
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        slack.hang_up()
        with pytest.raises(ConnectionError):
            r.send(notification(make_event()))
        assert len(slack.messages()) == 1  # taken once, not posted again by the client
        r.send(notification(make_event()))  # the outbox's next attempt
    assert len(slack.messages()) == 1
    assert len(calls(slack, "conversations.history")) == 1


def test_a_search_that_finds_nothing_sends(store: Store) -> None:
    """A send that timed out before Slack took it: the search finds nothing, so it is sent."""
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        store.chat.sending("slack-pr", make_event().id, event_key(make_event()), 1.0)
        r.send(notification(make_event()))
    assert len(calls(slack, "conversations.history")) == 1
    assert len(slack.channel_messages()) == 1


def test_without_history_scope_it_sends_again_and_says_so(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="yujing.notifier")
    with FakeSlack(token=TOKEN, channel_id="C0NOSCOPE") as slack:
        conf = slack_conf(slack.api_url, channel="C0NOSCOPE")
        r = SlackReceiver(conf, store.chat)
        store.chat.sending("slack-pr", make_event().id, event_key(make_event()), 1.0)
        slack.refuse("conversations.history", "missing_scope")
        r.send(notification(make_event()))
        later = replace(make_event("updated"), alert=replace(make_event().alert, id="other@1"))
        store.chat.sending("slack-pr", later.id, event_key(later), 1.0)
        r.send(notification(later))
    assert len(slack.channel_messages()) == 2
    said = [r for r in caplog.records if "channels:history" in r.getMessage()]
    assert [r.levelname for r in said] == ["WARNING", "DEBUG"]  # said once, not at every send


def test_a_search_slack_cannot_answer_is_tried_again_not_taken_for_a_missing_scope(
    store: Store,
) -> None:
    """Slack took the message and the answer was lost; then its history fails (HTTP 500) while
    posting works. Sending again then would make a copy: the search waits for a later try."""
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store, timeout=1)
        slack.slow()
        with pytest.raises(TimeoutError):
            r.send(notification(make_event()))
        slack.fail("conversations.history")
        with pytest.raises(SlackApiError):
            r.send(notification(make_event()))
        assert len(slack.messages()) == 1, "not sent again while the search cannot be made"
        slack.fail("conversations.history", None)
        r.send(notification(make_event()))  # the outbox's next attempt finds it
    assert len(slack.messages()) == 1
    assert len(slack.channel_messages()) == 1


CRASHING_SENDER = """
import sys
from yujing import config as cfg
from yujing.notifier.notification import Notification
from yujing.notifier.receivers.slack import SlackReceiver
from yujing.store import Store
import json
url, db, row = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
conf = cfg.SlackReceiver(name="slack-pr", type="slack", token="{token}", channel="#预警",
                         base_url=url)
SlackReceiver(conf, Store(db).chat).send(Notification.from_dict(row))
"""


def test_a_kill_mid_send_gives_no_copy(tmp_path: Path) -> None:
    """The process dies after Slack took the message, before the answer was kept."""
    import os
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "yujing.db"
    Store(db).close()
    with FakeSlack(token=TOKEN) as slack:
        slack.slow(times=1)
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHING_SENDER.format(token=TOKEN), slack.api_url, str(db)],
            stdin=subprocess.PIPE,
        )
        assert child.stdin is not None
        child.stdin.write(json.dumps(notification(make_event()).to_dict()).encode())
        child.stdin.close()
        deadline = time.monotonic() + 60
        while not slack.messages() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert slack.messages(), "the child's post reached Slack"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        store = Store(db)
        try:
            row = store.chat.get("slack-pr", make_event().id)
            assert row is not None and row.ts is None and row.sending == event_key(make_event())
            receiver(slack, store).send(notification(make_event()))  # the outbox's next attempt
            row = store.chat.get("slack-pr", make_event().id)
        finally:
            store.close()
    (top,) = slack.channel_messages()
    assert len(slack.messages()) == 1
    assert row is not None and row.ts == top["ts"] and row.sending is None


# ---------------------------------------------------------------- incoming webhook


def webhook_conf(url: str) -> cfg.SlackReceiver:
    return cfg.SlackReceiver(name="hook", type="slack", webhook_url=url)


def test_webhook_posts_each_event_as_a_message() -> None:
    with FakeSlack() as slack:
        hook = SlackWebhookReceiver(webhook_conf(slack.webhook_url), names=NAMES)
        for event in wave()[:2]:
            hook.send(notification(event))
    first, second = slack.webhook_posts
    assert first["text"].startswith("【橙色预警】安心e生医疗险")
    assert first["attachments"][0]["color"] == "#EF6C00"
    assert second["text"].startswith("【红色预警·升级】")
    assert [r.path for r in slack.requests] == ["/services/T0001/B0001/fakesecret"] * 2


def test_webhook_rate_limit_and_errors() -> None:
    with FakeSlack() as slack:
        hook = SlackWebhookReceiver(webhook_conf(slack.webhook_url))
        slack.rate_limit(times=1, retry_after=9)
        with pytest.raises(RetryLater) as caught:
            hook.send(notification(make_event()))
        assert caught.value.retry_after == 9
        gone = SlackWebhookReceiver(webhook_conf(slack.url + "/services/T0001/B0001/gone"))
        with pytest.raises(SlackRequestError, match="404"):
            gone.send(notification(make_event()))
    assert slack.webhook_posts == []


def test_config_takes_a_token_or_a_webhook() -> None:
    with pytest.raises(ValidationError, match="either token"):
        cfg.SlackReceiver(name="s", type="slack")
    with pytest.raises(ValidationError, match="either token"):
        cfg.SlackReceiver(
            name="s", type="slack", token=TOKEN, channel="#c", webhook_url="https://h.example/x"
        )
    with pytest.raises(ValidationError, match="needs a channel"):
        cfg.SlackReceiver(name="s", type="slack", token=TOKEN)
    with pytest.raises(ValidationError, match="http"):
        cfg.SlackReceiver(name="s", type="slack", webhook_url="ftp://h.example/x")


def test_invalid_auth_raises(store: Store) -> None:
    with FakeSlack(token=TOKEN) as slack:
        r = SlackReceiver(slack_conf(slack.api_url, token="xoxb-wrong"), store.chat)
        with pytest.raises(SlackApiError) as caught:
            r.send(notification(make_event()))
    assert caught.value.response["error"] == "invalid_auth"
    assert slack.messages() == []


# ---------------------------------------------------------------- notifications of a group


def category_event(kind: str = "firing", **changes: Any) -> AlertEvent:
    """A category alert of the same product: the same group under group_by [product]."""
    return make_event(
        kind,
        id="burst:anxin-e/claims@1",
        key="burst:anxin-e/claims",
        category="claims",
        **changes,
    )


def top_titles(slack: FakeSlack) -> list[str]:
    return [m["text"].split("\n")[0] for m in slack.channel_messages()]


def test_a_group_keeps_one_conversation_per_alert(store: Store) -> None:
    """A group's notification is told alert by alert: each alert its own message, and the
    alerts a notification only shows (not ``changed``) are left as they are."""
    product, claims = make_event(), category_event()
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        r.send(notification(product, claims))
        assert top_titles(slack) == [
            "【橙色预警】安心e生医疗险 群体投诉苗头",
            "【橙色预警】安心e生医疗险·claims 群体投诉苗头",
        ]
        # The claims alert escalates; the product's alert is in the notification unchanged.
        up = category_event("escalated", severity="red", updated_at="2024-05-01T07:10:00+00:00")
        r.send(notification(product, up, changed=frozenset({up.id})))
    product_top, claims_top = slack.channel_messages()
    assert len(slack.channel_messages()) == 2, "no new top-level message"
    assert [u["ts"] for u in calls(slack, "chat.update")] == [claims_top["ts"]]
    assert claims_top["text"].startswith("【红色预警·升级】安心e生医疗险·claims")
    assert [m["text"][:7] for m in slack.replies(claims_top["ts"])[1:]] == ["升级为红色预警"]
    assert len(slack.replies(product_top["ts"])) == 1  # its chart only
    assert len(slack.uploads) == 2  # one chart per alert


def test_a_group_that_failed_half_way_is_not_told_twice(store: Store) -> None:
    product, claims = make_event(), category_event()
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        r.send(notification(product))
        up = make_event("escalated", severity="red", updated_at="2024-05-01T07:10:00+00:00")
        # The product's news goes out (an edit and a reply); the claims alert's first message
        # is refused for now: the outbox retries the whole notification later.
        slack.rate_limit(times=1, retry_after=5, after=2)
        with pytest.raises(RetryLater):
            r.send(notification(up, claims))
        assert len(calls(slack, "chat.update")) == 1 and len(slack.channel_messages()) == 1
        r.send(notification(up, claims))
    assert len(calls(slack, "chat.update")) == 1, "the product's news is not told again"
    assert top_titles(slack) == [
        "【红色预警·升级】安心e生医疗险 群体投诉苗头",
        "【橙色预警】安心e生医疗险·claims 群体投诉苗头",
    ]
    product_top = slack.channel_messages()[0]
    assert [m["text"][:7] for m in slack.replies(product_top["ts"])[1:]] == ["升级为红色预警"]


def test_a_reminder_is_a_short_reply_in_each_firing_alerts_thread(store: Store) -> None:
    product, claims = make_event(), category_event()
    first = utcnow()
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        r.send(notification(product, claims))
        again = notification(product, claims, changed=frozenset(), repeat=True, at=first)
        r.send(again)
        r.send(again)  # the same reminder tried again (its answer was lost): no second reply
        later = first + timedelta(hours=4)
        r.send(notification(product, claims, changed=frozenset(), repeat=True, at=later))
    assert len(slack.channel_messages()) == 2, "a reminder is never a new message"
    assert calls(slack, "chat.update") == []
    for top in slack.channel_messages():
        chart, *replies = slack.replies(top["ts"])
        assert [m["text"][:4] for m in replies] == ["仍在持续"] * 2
        assert "23 条投诉" in replies[0]["text"]
        assert {m["metadata"]["event_payload"]["event"] for m in replies} == {"repeat"}


def test_a_handling_action_is_a_reply_in_its_alerts_thread_escaped(store: Store) -> None:
    from yujing.alerts import Action, Handling

    at = datetime(2026, 11, 30, 2, 5, tzinfo=UTC)
    handling = Handling(make_event().id, Action.ACK, "张三 <!channel>", at, "已联系 <@U1> & 理赔部")
    note = notification(make_event(), changed=frozenset(), handling=handling, at=at)
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        r.send(notification(make_event()))
        r.send(note)
        r.send(note)  # tried again after a lost answer: not said twice
    (top,) = slack.channel_messages()
    chart, reply = slack.replies(top["ts"])
    assert reply["text"] == (
        "张三 &lt;!channel&gt; 已确认：已联系 &lt;@U1&gt; &amp; 理赔部（2026-11-30 10:05）"
    )
    assert reply["metadata"]["event_payload"]["event"] == "handling"
    assert_no_markup_but_links(reply)
    assert calls(slack, "chat.update") == []


def test_a_handling_action_on_an_alert_without_a_message_stands_alone(store: Store) -> None:
    from yujing.alerts import Action, Handling

    at = datetime(2026, 11, 30, 2, 5, tzinfo=UTC)
    handling = Handling(make_event().id, Action.NOTE, "李四", at, "<!here> 看一下")
    note = notification(make_event(), changed=frozenset(), handling=handling, at=at)
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        r.send(note)
        r.send(notification(make_event()))  # the alert itself gets its own message after
    line, alert = slack.channel_messages()
    assert line["text"].startswith("李四 备注：&lt;!here&gt; 看一下 · 【橙色预警】安心e生医疗险")
    assert_no_markup_but_links(line)
    assert alert["text"].startswith("【橙色预警】安心e生医疗险 群体投诉苗头")


def test_webhook_posts_a_group_as_one_message() -> None:
    group = notification(
        make_event(),
        category_event("escalated", severity="red"),
        make_event("resolved", id="burst:anxin-e/sales@1", category="sales"),
        group_key='{product="anxin-e"}',
    )
    with FakeSlack() as slack:
        SlackWebhookReceiver(webhook_conf(slack.webhook_url), names=NAMES).send(group)
    (body,) = slack.webhook_posts
    head = "【红色预警】安心e生医疗险 2 条预警，1 条已解除"
    assert body["text"].startswith(head + "\n\n")
    assert body["blocks"] == [
        {"type": "header", "text": {"type": "plain_text", "text": head, "emoji": True}}
    ]
    assert [a["blocks"][0]["text"]["text"] for a in body["attachments"]] == [
        "*【橙色预警】安心e生医疗险 群体投诉苗头*",
        "*【红色预警·升级】安心e生医疗险·claims 群体投诉苗头*",
        "*【已解除】安心e生医疗险·sales 群体投诉苗头*",
    ]
    assert [a["color"] for a in body["attachments"]] == ["#EF6C00", "#D32F2F", "#2E7D32"]


def test_webhook_cuts_a_long_group_to_what_slack_takes_and_escapes_it() -> None:
    events = [
        hostile_event(id=f"burst:anxin-e/c{i}@1", key=f"burst:anxin-e/c{i}") for i in range(20)
    ]
    with FakeSlack() as slack:
        SlackWebhookReceiver(webhook_conf(slack.webhook_url)).send(notification(*events))
    (body,) = slack.webhook_posts
    assert len(body["attachments"]) == 8
    assert sum(len(a["blocks"]) for a in body["attachments"]) + len(body["blocks"]) <= 50
    assert body["blocks"][-1]["elements"][0]["text"].startswith("另有 12 条预警未列出")
    assert len(body["text"]) <= 3000
    assert_no_markup_but_links(body)


def test_a_peers_conversation_is_found_and_carried_on(tmp_path: Path) -> None:
    """Two daemons (notify.peers), each with its own store: the second goes on in the message
    the first posted, found in the channel by its metadata, for news and for handling alike."""
    from yujing.alerts import Action, Handling

    first_store, second_store = Store(tmp_path / "a.db"), Store(tmp_path / "b.db")
    fired, later = wave()[0], wave()[1]
    with FakeSlack(token=TOKEN) as slack:
        receiver(slack, first_store).send(notification(fired))
        second = receiver(slack, second_store)
        told = frozenset({fired.id})
        second.send(notification(later, peers_told=told))
        h = Handling(fired.id, Action.ACK, "张三", later.alert.updated_at)
        second.send(notification(later, handling=h, changed=frozenset(), peers_told=told))
    (top,) = slack.channel_messages()
    assert {u["ts"] for u in slack.updates} == {top["ts"]}
    lines = [r["text"] for r in slack.replies(top["ts"]) if r.get("metadata")]
    assert any("升级" in line for line in lines) and any("张三 已确认" in line for line in lines)
    first_store.close()
    second_store.close()
