"""The Slack receiver at the wire: slack_sdk's real client against the local Slack stand-in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
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

from .conftest import make_config
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
        receiver(slack, store).send(make_event())
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
            r.send(event)
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
        receiver(slack, before).send(first)
        before.close()
        after = Store(path)  # a new process: only the store remembers the message
        try:
            for event in later:
                receiver(slack, after).send(event)
        finally:
            after.close()
    (top,) = slack.channel_messages()
    assert {u["ts"] for u in calls(slack, "chat.update")} == {top["ts"]}
    assert len(slack.replies(top["ts"])) == 1 + 3


def test_an_event_told_already_is_not_sent_again(store: Store) -> None:
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        first, second, *_ = wave()
        r.send(first)
        r.send(second)
        sent = len(slack.requests)
        r.send(second)  # delivered, but the outbox never heard (a crash right after)
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
            r.send(event)
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
        hook.send(hostile_event())
    (body,) = slack.webhook_posts
    assert_no_markup_but_links(body)
    assert "&lt;!channel&gt;" in body["text"]


# ---------------------------------------------------------------- rate limits


def test_rate_limit_becomes_retry_later_with_its_retry_after(store: Store) -> None:
    with FakeSlack(token=TOKEN) as slack:
        slack.rate_limit(times=1, retry_after=7)
        r = receiver(slack, store)
        with pytest.raises(RetryLater) as caught:
            r.send(make_event())
        assert caught.value.retry_after == 7
        r.send(make_event())  # the next call goes through
    assert len(slack.messages()) == 1


def test_a_rate_limited_edit_is_retried_without_a_second_reply(store: Store) -> None:
    first, second, *_ = wave()
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        r.send(first)
        slack.rate_limit(times=1, retry_after=3)
        with pytest.raises(RetryLater):
            r.send(second)  # the edit was refused; nothing of this event reached Slack
        r.send(second)
        (top,) = slack.channel_messages()
        assert [m["text"][:7] for m in slack.replies(top["ts"])[1:]] == ["升级为红色预警"]
        assert len(calls(slack, "conversations.replies")) == 0  # nothing was in doubt


def test_the_outbox_waits_slacks_retry_after(store: Store) -> None:
    with FakeSlack(token=TOKEN) as slack:
        notifier = Notifier(
            make_config(notify={"receivers": [], "route": {}}),
            store.outbox,
            receivers={"slack-pr": receiver(slack, store)},
        )
        store.outbox.enqueue("slack-pr", make_event().to_dict())
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
            store.outbox,
            receivers={"slack-pr": receiver(slack, store, timeout=1)},
        )
        store.outbox.enqueue("slack-pr", first.to_dict())
        store.outbox.enqueue("slack-pr", second.to_dict())
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
        store.outbox.enqueue("slack-pr", wave()[2].to_dict())
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
            r.send(make_event())
        assert len(slack.messages()) == 1  # taken once, not posted again by the client
        r.send(make_event())  # the outbox's next attempt
    assert len(slack.messages()) == 1
    assert len(calls(slack, "conversations.history")) == 1


def test_a_search_that_finds_nothing_sends(store: Store) -> None:
    """A send that timed out before Slack took it: the search finds nothing, so it is sent."""
    with FakeSlack(token=TOKEN) as slack:
        r = receiver(slack, store)
        store.chat.sending("slack-pr", make_event().id, event_key(make_event()), 1.0)
        r.send(make_event())
    assert len(calls(slack, "conversations.history")) == 1
    assert len(slack.channel_messages()) == 1


def test_without_history_scope_it_sends_again_and_says_so(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeSlack(token=TOKEN, channel_id="C0NOSCOPE") as slack:
        conf = slack_conf(slack.api_url, channel="C0NOSCOPE")
        r = SlackReceiver(conf, store.chat)
        store.chat.sending("slack-pr", make_event().id, event_key(make_event()), 1.0)
        slack.refuse("conversations.history", "missing_scope")
        r.send(make_event())
    assert len(slack.channel_messages()) == 1
    assert "channels:history" in caplog.text


CRASHING_SENDER = """
import sys
from yujing import config as cfg
from yujing.alerts import AlertEvent
from yujing.notifier.receivers.slack import SlackReceiver
from yujing.store import Store
import json
url, db, event = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
conf = cfg.SlackReceiver(name="slack-pr", type="slack", token="{token}", channel="#预警",
                         base_url=url)
SlackReceiver(conf, Store(db).chat).send(AlertEvent.from_dict(event))
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
        child.stdin.write(json.dumps(make_event().to_dict()).encode())
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
            receiver(slack, store).send(make_event())  # the outbox's next attempt
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
            hook.send(event)
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
            hook.send(make_event())
        assert caught.value.retry_after == 9
        gone = SlackWebhookReceiver(webhook_conf(slack.url + "/services/T0001/B0001/gone"))
        with pytest.raises(SlackRequestError, match="404"):
            gone.send(make_event())
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
            r.send(make_event())
    assert caught.value.response["error"] == "invalid_auth"
    assert slack.messages() == []
