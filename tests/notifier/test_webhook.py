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

from .conftest import make_event
from .hostile import TRAP_TITLE, hostile_event

SECRET = "whsec-2f9c1d7e"
README = Path(__file__).resolve().parents[2] / "README.md"


def hook(url: str, secret: str = SECRET, **extra) -> WebhookReceiver:
    conf = cfg.WebhookReceiver(name="soc", type="webhook", url=url, secret=secret, **extra)
    return WebhookReceiver(conf, names={"anxin-e": "安心e生医疗险"})


def test_signed_json_is_accepted_by_an_endpoint_that_checks_it() -> None:
    with FakeWebhookEndpoint(SECRET) as endpoint:
        hook(endpoint.url).send(make_event())
    (request,) = endpoint.requests
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["x-yujing-signature"].startswith("sha256=")
    (body,) = endpoint.received
    assert body["version"] == 1
    assert body["title"] == "【橙色预警】安心e生医疗险 群体投诉苗头"
    assert body["text"].splitlines()[0] == body["title"]
    assert body["alert"] == json.loads(json.dumps(make_event().to_dict()))
    assert body["fields"]["product_name"] == "安心e生医疗险"
    assert body["fields"]["samples"][0]["url"] == "https://bbs.example.cn/t/1"
    assert request.headers["x-yujing-delivery"] == body["delivery"]
    assert "安心e生" in request.raw.decode("utf-8")  # UTF-8, not \\u escapes


def test_wrong_secret_is_refused_and_says_so() -> None:
    with (
        FakeWebhookEndpoint(SECRET) as endpoint,
        pytest.raises(Refused, match="HTTP 401: the endpoint refused the signature"),
    ):
        hook(endpoint.url, secret="other-secret").send(make_event())
    assert len(endpoint.requests) == 1 and endpoint.received == []


def test_busy_endpoint_is_retried_after_its_retry_after() -> None:
    with FakeWebhookEndpoint(SECRET) as endpoint:
        endpoint.busy(times=1, retry_after=42)
        receiver = hook(endpoint.url)
        with pytest.raises(RetryLater) as caught:
            receiver.send(make_event())
        assert caught.value.retry_after == 42
        receiver.send(make_event())
    assert len(endpoint.received) == 1


def test_a_resend_carries_the_same_delivery_id_so_the_endpoint_keeps_one() -> None:
    with FakeWebhookEndpoint(SECRET) as endpoint:
        receiver = hook(endpoint.url)
        receiver.send(make_event())
        receiver.send(make_event())  # the first answer was lost on the way back
        receiver.send(make_event("resolved"))
    assert [r.headers["x-yujing-delivery"] for r in endpoint.requests][:2] == [
        endpoint.requests[0].headers["x-yujing-delivery"]
    ] * 2
    assert [b["alert"]["event"] for b in endpoint.received] == ["firing", "resolved"]


def test_user_text_is_data_in_json() -> None:
    with FakeWebhookEndpoint(SECRET) as endpoint:
        hook(endpoint.url).send(hostile_event())
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
    assert body["alert"]["samples"][0]["url"] == "javascript:alert(1)"  # the record, as stored


def test_the_readme_verification_code_accepts_ours_and_refuses_a_forgery() -> None:
    """The README's snippet for endpoints, run against a request this receiver made."""
    code = re.search(r"```python\n(# verify a yujing webhook.*?)```", README.read_text(), re.S)
    assert code, "README shows how to verify the webhook signature"
    namespace: dict = {}
    exec(code.group(1), namespace)  # noqa: S102 (our own README)
    verify = namespace["verify"]
    with FakeWebhookEndpoint(SECRET) as endpoint:
        hook(endpoint.url).send(make_event())
    (request,) = endpoint.requests
    headers = dict(request.headers)
    assert verify(SECRET, headers, request.raw, now=int(headers["x-yujing-timestamp"]))
    assert not verify("wrong", headers, request.raw, now=int(headers["x-yujing-timestamp"]))
    assert not verify(SECRET, headers, request.raw + b" ", now=int(headers["x-yujing-timestamp"]))
    assert not verify(SECRET, headers, request.raw, now=int(headers["x-yujing-timestamp"]) + 600)
