"""The generic JSON webhook, at the wire: a local endpoint checks the signature the way the
README tells users to, and keeps what it accepted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from testkit.fakes.webhook import FakeWebhookEndpoint
from yujing import config as cfg
from yujing.notifier.receivers import Refused, RetryLater
from yujing.notifier.receivers.webhook import WebhookReceiver

from .conftest import make_event, notification
from .hostile import TRAP_TITLE, hostile_event

SECRET = "whsec-2f9c1d7e"
README = Path(__file__).resolve().parents[2] / "README.md"


def hook(url: str, secret: str = SECRET, **extra) -> WebhookReceiver:
    conf = cfg.WebhookReceiver(name="soc", type="webhook", url=url, secret=secret, **extra)
    return WebhookReceiver(conf, names={"anxin-e": "安心e生医疗险"})


def test_signed_json_is_accepted_by_an_endpoint_that_checks_it() -> None:
    with FakeWebhookEndpoint(SECRET) as endpoint:
        hook(endpoint.url).send(notification(make_event()))
    (request,) = endpoint.requests
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["x-yujing-signature"].startswith("sha256=")
    (body,) = endpoint.received
    assert body["version"] == 2
    assert body["title"] == "【橙色预警】安心e生医疗险 群体投诉苗头"
    assert body["text"].splitlines()[0] == body["title"]
    sent = body["notification"]
    assert sent["alerts"] == [json.loads(json.dumps(make_event().to_dict()))]
    assert (sent["status"], sent["group_labels"]) == ("firing", {"product": "anxin-e"})
    assert body["fields"]["product_name"] == "安心e生医疗险"
    assert body["fields"]["samples"][0]["url"] == "https://bbs.example.cn/t/1"
    assert request.headers["x-yujing-delivery"] == body["delivery"]
    assert "安心e生" in request.raw.decode("utf-8")  # UTF-8, not \\u escapes


def test_wrong_secret_is_refused_and_says_so() -> None:
    with (
        FakeWebhookEndpoint(SECRET) as endpoint,
        pytest.raises(Refused, match="HTTP 401: the endpoint refused the signature"),
    ):
        hook(endpoint.url, secret="other-secret").send(notification(make_event()))
    assert len(endpoint.requests) == 1 and endpoint.received == []


def test_busy_endpoint_is_retried_after_its_retry_after() -> None:
    with FakeWebhookEndpoint(SECRET) as endpoint:
        endpoint.busy(times=1, retry_after=42)
        receiver = hook(endpoint.url)
        with pytest.raises(RetryLater) as caught:
            receiver.send(notification(make_event()))
        assert caught.value.retry_after == 42
        receiver.send(notification(make_event()))
    assert len(endpoint.received) == 1


def test_a_resend_carries_the_same_delivery_id_so_the_endpoint_keeps_one() -> None:
    with FakeWebhookEndpoint(SECRET) as endpoint:
        receiver = hook(endpoint.url)
        receiver.send(notification(make_event()))
        receiver.send(notification(make_event()))  # the first answer was lost on the way back
        receiver.send(notification(make_event("resolved")))
    assert [r.headers["x-yujing-delivery"] for r in endpoint.requests][:2] == [
        endpoint.requests[0].headers["x-yujing-delivery"]
    ] * 2
    assert [b["notification"]["alerts"][0]["event"] for b in endpoint.received] == [
        "firing",
        "resolved",
    ]


def test_user_text_is_data_in_json() -> None:
    with FakeWebhookEndpoint(SECRET) as endpoint:
        hook(endpoint.url).send(notification(hostile_event()))
    (body,) = endpoint.received
    assert len(TRAP_TITLE) < 100  # not clipped
    # JSON carries the title exactly; only http(s) links are offered as links.
    assert body["fields"]["samples"][0] == {
        "title": TRAP_TITLE,
        "url": "",
        "where": "（forum 记录 p1）",
        "source": "forum",
        "id": "p1",
    }
    (alert,) = body["notification"]["alerts"]
    assert alert["samples"][0]["url"] == "javascript:alert(1)"  # the record, as stored


def test_the_readme_verification_code_accepts_ours_and_refuses_a_forgery() -> None:
    """The README's snippet for endpoints, run against a request this receiver made."""
    code = re.search(r"```python\n(# verify a yujing webhook.*?)```", README.read_text(), re.S)
    assert code, "README shows how to verify the webhook signature"
    namespace: dict = {}
    exec(code.group(1), namespace)  # noqa: S102 (our own README)
    verify = namespace["verify"]
    with FakeWebhookEndpoint(SECRET) as endpoint:
        hook(endpoint.url).send(notification(make_event()))
    (request,) = endpoint.requests
    headers = dict(request.headers)
    assert verify(SECRET, headers, request.raw, now=int(headers["x-yujing-timestamp"]))
    assert not verify("wrong", headers, request.raw, now=int(headers["x-yujing-timestamp"]))
    assert not verify(SECRET, headers, request.raw + b" ", now=int(headers["x-yujing-timestamp"]))
    assert not verify(SECRET, headers, request.raw, now=int(headers["x-yujing-timestamp"]) + 600)


def test_a_group_is_one_delivery_with_every_alert() -> None:
    claims = make_event(
        "escalated",
        id="burst:anxin-e/claims@1",
        key="burst:anxin-e/claims",
        category="claims",
        severity="red",
    )
    group = notification(make_event(), claims, group_key='{product="anxin-e"}')
    with FakeWebhookEndpoint(SECRET) as endpoint:
        receiver = hook(endpoint.url)
        receiver.send(group)
        receiver.send(group)  # a retry: the same delivery id
        receiver.send(notification(make_event()))
    first, again, single = endpoint.requests
    assert first.headers["x-yujing-delivery"] == again.headers["x-yujing-delivery"]
    assert single.headers["x-yujing-delivery"] != first.headers["x-yujing-delivery"]
    body = endpoint.received[0]
    assert body["title"] == "【红色预警】安心e生医疗险 2 条预警"
    assert body["notification"]["group_key"] == '{product="anxin-e"}'
    assert [a["id"] for a in body["notification"]["alerts"]] == [make_event().id, claims.id]
    assert [a["title"] for a in body["fields"]["alerts"]][1].startswith("【红色预警·升级】")
