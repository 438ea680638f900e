"""A long outage of every receiver kind, at the wire.

Each receiver, the real one, talks to its local stand-in while the stand-in is down in one of the
ways a service fails (nothing listens, HTTP 500, the service's own "too many messages" answer,
answers later than the client waits). Alert events keep coming through ``submit`` for days of
simulated time (a clock the test moves; nothing sleeps), and the notifier runs a delivery round
every thirty simulated minutes. Then the service comes back: every notification arrives exactly
once, in the order it was written, and during the outage the backlog lived in the outbox, not in
the process: its memory did not grow with the outage's length.
"""

from __future__ import annotations

import functools
import gc
import logging
import re
import time
import tracemalloc
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from testkit.fakes._http import OUTAGES
from testkit.fakes.dingtalk import FakeDingTalk
from testkit.fakes.elasticsearch import FakeElasticsearch
from testkit.fakes.feishu import FakeFeishu
from testkit.fakes.slack import FakeSlack
from testkit.fakes.smtp import FakeSMTP
from testkit.fakes.webhook import FakeWebhookEndpoint
from testkit.fakes.wecom import FakeWeCom
from yujing import config as cfg
from yujing.alerts import AlertEvent, AlertState, EventKind
from yujing.notifier.dispatch import Notifier
from yujing.notifier.elastic import alert_events_stream, make_client
from yujing.notifier.receivers import Receiver
from yujing.notifier.receivers._http import RateWindow
from yujing.notifier.receivers.dingtalk import DingTalkReceiver
from yujing.notifier.receivers.elasticsearch import ElasticsearchAlertReceiver
from yujing.notifier.receivers.email import EmailReceiver
from yujing.notifier.receivers.feishu import FeishuReceiver
from yujing.notifier.receivers.slack import SlackReceiver, SlackWebhookReceiver
from yujing.notifier.receivers.webhook import WebhookReceiver
from yujing.notifier.receivers.wecom import WeComReceiver
from yujing.store import Store

from .conftest import T0, make_alert, make_config

ROOT = Path(__file__).resolve().parents[2]
NAME = "out"
TOKEN = "xoxb-1111-2222-fake"
SECRET = "SEC7d3f0c2b1a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2"
# Long enough for any answer of a healthy stand-in on a busy machine, short enough that the
# attempts of a "slow" outage (each one waits this long) keep the test quick.
TIMEOUT = 0.2

STEP = timedelta(minutes=30)  # between delivery rounds
PER_ROUND = 1  # events submitted each round, before and during the outage
BEFORE = 2  # rounds before the service goes down
OUTAGE = 144  # rounds the service is down: three days
EVENTS = PER_ROUND * (BEFORE + OUTAGE)
MEASURED = (40, 140)  # rounds of the outage between which memory is compared
RECOVERY = 300  # rounds allowed to deliver the backlog once the service is back

ALERT_ID = re.compile(r"预警编号[：\s]+([^\s<*`]+)")


class SimClock:
    """The test's time: the notifier reads it as a datetime, the robots (rate windows and
    signatures) and their stand-ins as Unix seconds."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def time(self) -> float:
        return self.now.timestamp()


def event(j: int) -> AlertEvent:
    """The ``j``-th event: two alerts fire, then both resolve, then the next two, and so on."""
    k = 2 * (j // 4) + j % 2
    product = f"p{k:03d}"
    if j % 4 < 2:
        return AlertEvent(EventKind.FIRING, make_alert(product, updated_at=T0))
    resolved = make_alert(product, state=AlertState.RESOLVED, updated_at=T0 + timedelta(hours=1))
    return AlertEvent(EventKind.RESOLVED, resolved)


def told(e: AlertEvent) -> tuple[str, str]:
    return e.id, e.event.value


def from_text(text: str) -> tuple[str, str]:
    """(alert id, firing or resolved) as a message shows them to people."""
    found = ALERT_ID.search(text)
    assert found, f"no alert id in {text[:300]!r}"
    return found.group(1), "resolved" if "已解除" in text else "firing"


@dataclass
class Wire:
    """A receiver and what its stand-in has taken, in arrival order."""

    fake: Any  # go_down(how), recover()
    receiver: Receiver
    received: Callable[[], list[tuple[str, str]]]
    copies: Callable[[], int] = lambda: 0  # copies taken and then dropped by their id


def no_pause(client: Any) -> None:
    """slack_sdk sleeps half a second before it tries a refused connection again; time here is
    simulated, so it tries again at once."""
    for handler in client.retry_handlers:
        handler.interval_calculator = FixedValueRetryIntervalCalculator(0.0)


def slack_bot(stack: ExitStack, tmp: Path, clock: SimClock, store: Store) -> Wire:
    slack = stack.enter_context(FakeSlack(token=TOKEN))
    conf = cfg.SlackReceiver(
        name=NAME, type="slack", token=TOKEN, channel="C123", base_url=slack.api_url
    )
    # Its own clock stays real: it dates searches against the stand-in's message times.
    receiver = SlackReceiver(conf, store.chat, timeout=TIMEOUT)  # type: ignore[arg-type]
    no_pause(receiver.client)

    def received() -> list[tuple[str, str]]:
        meta = [m["metadata"]["event_payload"] for m in slack.messages()]
        return [(p["alert_id"], p["event"]) for p in meta]

    return Wire(slack, receiver, received)


def slack_webhook(stack: ExitStack, tmp: Path, clock: SimClock, store: Store) -> Wire:
    slack = stack.enter_context(FakeSlack())
    conf = cfg.SlackReceiver(name=NAME, type="slack", webhook_url=slack.webhook_url)
    receiver = SlackWebhookReceiver(conf, timeout=TIMEOUT)  # type: ignore[arg-type]
    no_pause(receiver.client)
    return Wire(slack, receiver, lambda: [from_text(p["text"]) for p in slack.webhook_posts])


def dingtalk(stack: ExitStack, tmp: Path, clock: SimClock, store: Store) -> Wire:
    ding = stack.enter_context(FakeDingTalk(secret=SECRET, clock=clock.time))
    conf = cfg.DingTalkReceiver(name=NAME, type="dingtalk", webhook=ding.webhook, secret=SECRET)
    window = RateWindow((20, 60.0), clock=clock.time)
    receiver = DingTalkReceiver(conf, timeout=TIMEOUT, clock=clock.time, window=window)
    return Wire(ding, receiver, lambda: [from_text(m["markdown"]["text"]) for m in ding.messages])


def wecom(stack: ExitStack, tmp: Path, clock: SimClock, store: Store) -> Wire:
    fake = stack.enter_context(FakeWeCom(clock=clock.time))
    conf = cfg.WeComReceiver(name=NAME, type="wecom", webhook=fake.webhook)
    receiver = WeComReceiver(conf, timeout=TIMEOUT, clock=clock.time)
    return Wire(
        fake, receiver, lambda: [from_text(m["markdown"]["content"]) for m in fake.messages]
    )


def feishu(stack: ExitStack, tmp: Path, clock: SimClock, store: Store) -> Wire:
    fake = stack.enter_context(FakeFeishu(secret="qW3rTy7uIoP9aSdF", clock=clock.time))
    conf = cfg.FeishuReceiver(
        name=NAME, type="feishu", webhook=fake.webhook, secret="qW3rTy7uIoP9aSdF"
    )
    window = RateWindow((5, 1.0), (100, 60.0), clock=clock.time)
    receiver = FeishuReceiver(conf, timeout=TIMEOUT, clock=clock.time, window=window)

    def received() -> list[tuple[str, str]]:
        cards = [m["card"] for m in fake.messages]
        return [
            from_text(c["header"]["title"]["content"] + "\n" + c["elements"][0]["text"]["content"])
            for c in cards
        ]

    return Wire(fake, receiver, received)


def email(stack: ExitStack, tmp: Path, clock: SimClock, store: Store) -> Wire:
    smtp = stack.enter_context(FakeSMTP(tmp / "tls", username="bot", password="pw"))
    conf = cfg.EmailReceiver(
        name=NAME,
        type="email",
        host=smtp.host,
        port=smtp.port,
        tls="starttls",
        username="bot",
        password="pw",
        sender="yujing@insurer.example.cn",
        to=["pr@insurer.example.cn"],
        ca_file=smtp.ca_file,
    )
    receiver = EmailReceiver(conf, timeout=TIMEOUT)

    def received() -> list[tuple[str, str]]:
        return [
            from_text(str(m.message["Subject"]) + "\n" + m.message.get_content())
            for m in smtp.messages
        ]

    return Wire(smtp, receiver, received)


def webhook(stack: ExitStack, tmp: Path, clock: SimClock, store: Store) -> Wire:
    endpoint = stack.enter_context(FakeWebhookEndpoint("hook-secret", clock=clock.time))
    conf = cfg.WebhookReceiver(name=NAME, type="webhook", url=endpoint.url, secret="hook-secret")
    receiver = WebhookReceiver(conf, timeout=TIMEOUT, clock=clock.time)

    def received() -> list[tuple[str, str]]:
        # What the endpoint keeps: a resend carries the same delivery id and is dropped.
        out = []
        for body in endpoint.received:
            (alert,) = body["notification"]["alerts"]
            out.append((alert["id"], alert["event"]))
        return out

    return Wire(
        endpoint, receiver, received, lambda: len(endpoint.accepted) - len(endpoint.received)
    )


def elasticsearch(stack: ExitStack, tmp: Path, clock: SimClock, store: Store) -> Wire:
    es = stack.enter_context(FakeElasticsearch())
    settings = cfg.Config.model_validate(
        {
            "products": [],
            "alerts_file": None,
            # The client tries a timed-out request four times; a copy is refused by its id.
            "elasticsearch": {"hosts": [es.url], "request_timeout": TIMEOUT / 2},
        }
    ).elasticsearch
    assert settings is not None
    client = make_client(settings)
    conf = cfg.ElasticsearchReceiver(name=NAME, type="elasticsearch")
    receiver = ElasticsearchAlertReceiver(conf, client, "yujing")
    stack.callback(receiver.close)
    stream = alert_events_stream("yujing")

    def received() -> list[tuple[str, str]]:
        # Each event document the cluster took; a second try of one is refused (409).
        docs = [d for d in es.bulk_docs() if d["_index"] == stream]
        return [(d["source"]["alert_id"], d["source"]["event"]) for d in docs]

    return Wire(es, receiver, received)


KINDS = {
    "slack": slack_bot,
    "slack-webhook": slack_webhook,
    "dingtalk": dingtalk,
    "wecom": wecom,
    "feishu": feishu,
    "email": email,
    "webhook": webhook,
    "elasticsearch": elasticsearch,
}


def outage_config() -> cfg.Config:
    """Each alert its own group, told at once, never reminded: one notification per event."""
    route = {
        "receiver": NAME,
        "group_by": ["..."],
        "group_wait": "0s",
        "group_interval": "1s",
        "repeat_interval": "1000d",
    }
    return make_config(
        # A day at most between retries: the attempts of a slow outage each wait for a timeout.
        notify={"receivers": [{"name": NAME, "type": "log"}], "route": route, "retry_max": "1d"}
    )


# The SMTP stand-in serves in this process, each session with its TLS buffers (256 KB) until
# the session ends, whenever that is: its allocations are not the notifier's.
STAND_IN_SESSIONS = [
    tracemalloc.Filter(False, "*/aiosmtpd/*"),
    tracemalloc.Filter(False, "*/asyncio/sslproto.py"),
    tracemalloc.Filter(False, tracemalloc.__file__),
]


class Memory:
    """The process's memory through an outage (tracemalloc: what Python allocated and still
    holds; the store's rows are in SQLite's file)."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.held: list[int] = []

    def __enter__(self) -> Memory:
        # Records kept by the test's log capture (a client library's warning at every retry)
        # are the harness's memory, not the notifier's: none are made meanwhile.
        logging.disable(logging.CRITICAL)
        tracemalloc.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        tracemalloc.stop()
        logging.disable(logging.NOTSET)

    def measure(self) -> None:
        """What the process holds after a round, allocated since tracing began. The stand-in's
        requests (answered late, or recorded) are the test's, not the notifier's: they are let
        go first."""
        wait_idle = getattr(self.wire.fake, "wait_idle", None)
        if wait_idle is not None:
            wait_idle()  # a late answer's thread holds its request until it gives up
        requests = getattr(self.wire.fake, "requests", None)
        if requests is not None:
            requests.clear()
        # Caches of a fixed size (urlsplit keeps the last 128 URLs, and a signed robot URL is
        # new every time) cannot grow with the outage: emptied, they do not hide what can.
        for obj in gc.get_objects():
            if (
                isinstance(obj, functools._lru_cache_wrapper)
                and obj.cache_parameters()["maxsize"] is not None
            ):
                obj.cache_clear()
        # The least of three looks: a thread left by an earlier test in this process (a server
        # winding down) may hold a buffer for a moment; what the notifier holds, it holds at each.
        looks = []
        for _ in range(3):
            gc.collect()
            snapshot = tracemalloc.take_snapshot().filter_traces(STAND_IN_SESSIONS)
            looks.append(sum(s.size for s in snapshot.statistics("filename")))
            time.sleep(0.05)
        self.held.append(min(looks))


def deliver(notifier: Notifier, clock: SimClock, rounds: range, submit: bool = True) -> None:
    """Delivery rounds, ``STEP`` apart; in each, the round's events are submitted first."""
    for r in rounds:
        clock.now += STEP
        for j in range(r * PER_ROUND, (r + 1) * PER_ROUND) if submit else ():
            with notifier.store.transaction():
                notifier.submit(event(j))
        notifier.deliver_due()


# A service that took a message whose answer was lost has it: only a receiver that finds it
# (Slack's search by metadata) or whose service drops a resend by its id (the webhook's delivery
# id, Elasticsearch's document id) can deliver it once. The robots, mail and Slack's incoming
# webhook keep no such id: there a resend after a lost answer is a copy (at least once).
TELLS_COPIES = {"slack", "webhook", "elasticsearch"}
CASES = [(k, h) for k in KINDS for h in OUTAGES if h != "late" or k in TELLS_COPIES]


@pytest.mark.parametrize(("kind", "how"), CASES)
def test_a_long_outage_loses_nothing_repeats_nothing_and_holds_no_backlog_in_memory(
    tmp_path: Path, kind: str, how: str
) -> None:
    clock = SimClock(datetime.now(UTC).replace(microsecond=0))
    store = Store(tmp_path / "yujing.db")
    with ExitStack() as stack:
        stack.callback(store.close)
        wire = KINDS[kind](stack, tmp_path, clock, store)
        notifier = Notifier(outage_config(), store, {NAME: wire.receiver}, clock=clock)
        stack.callback(notifier.close)

        before = BEFORE * PER_ROUND
        deliver(notifier, clock, range(BEFORE))
        assert wire.received() == [told(event(j)) for j in range(before)], "healthy at first"

        wire.fake.go_down(how)
        first, last = (BEFORE + r for r in MEASURED)
        deliver(notifier, clock, range(BEFORE, first))
        with Memory(wire) as memory:
            memory.measure()
            deliver(notifier, clock, range(first, last))
            memory.measure()
        deliver(notifier, clock, range(last, BEFORE + OUTAGE))
        # A late service may have taken the first message (Slack: its edit, or its reply); the
        # answer was lost, so the rest wait behind it.
        taken = len(wire.received()) - before
        assert taken == 0 or (how == "late" and taken == 1), f"{taken} got through a {how} outage"
        ((_, waiting, error),) = store.outbox.pending()
        assert waiting == EVENTS - before, "the backlog is in the outbox"
        assert error, "the row at the head keeps the last error"
        # 100 more notifications in the backlog between the two measures (some 200 KB of JSON,
        # more as Python objects); the process holds no more than its caches' ups and downs.
        growth = memory.held[1] - memory.held[0]
        assert growth < 128 * 1024, f"{growth} bytes more held after 100 more rounds"

        wire.fake.recover()
        for _ in range(RECOVERY):
            if not store.outbox.pending():
                break
            deliver(notifier, clock, range(1), submit=False)
        assert store.outbox.pending() == [], "the backlog is delivered once the service is back"

        got = wire.received()
        wanted = [told(event(j)) for j in range(EVENTS)]
        copies = {e: got.count(e) for e in set(got) if got.count(e) > 1}
        assert not copies, f"delivered more than once: {sorted(copies.items())[:5]}"
        assert sorted(got) == sorted(wanted), "every event delivered"
        assert got == wanted, "in the order they were written"
        if how != "late":
            assert wire.copies() == 0, "no message was sent twice"
