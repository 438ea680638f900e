from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from testkit.fakes.elasticsearch import FakeElasticsearch
from testkit.fakes.slack import FakeSlack
from yujing import config as cfg
from yujing.notifier.elastic import make_client
from yujing.notifier.notification import Notification
from yujing.notifier.receivers import RetryLater, build_receivers
from yujing.notifier.receivers.elasticsearch import ElasticsearchAlertReceiver
from yujing.notifier.receivers.file import FileReceiver
from yujing.notifier.receivers.log import LogReceiver
from yujing.notifier.receivers.slack import SlackReceiver

from .conftest import make_config, make_event, notification

TOKEN = "xoxb-1111-2222-fake"
NAMES = {"anxin-e": "安心e生医疗险", "claims": "理赔难", "sales": "销售误导"}


def slack_conf(url: str, token: str = TOKEN) -> cfg.SlackReceiver:
    return cfg.SlackReceiver(
        name="slack-pr", type="slack", token=token, channel="#舆情预警", base_url=url
    )


def test_log_receiver_writes_one_readable_line(caplog: pytest.LogCaptureFixture) -> None:
    receiver = LogReceiver(
        cfg.LogReceiver(name="log", type="log"), names={"anxin-e": "安心e生医疗险"}
    )
    with caplog.at_level(logging.INFO, logger="yujing.alerts"):
        receiver.send(notification(make_event()))
        receiver.send(notification(make_event("resolved")))
    firing, resolved = caplog.records
    assert firing.name == "yujing.alerts" and firing.levelno == logging.WARNING
    assert firing.getMessage().startswith("【橙色预警】安心e生医疗险 群体投诉苗头")
    assert "\n" not in firing.getMessage()
    assert resolved.levelno == logging.INFO
    assert resolved.getMessage().startswith("【已解除】")


def test_file_receiver_appends_utf8_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "alerts.jsonl"
    receiver = FileReceiver(cfg.FileReceiver(name="file", type="file", path=path))
    receiver.send(notification(make_event()))
    receiver.send(notification(make_event("resolved")))
    raw = path.read_bytes().decode("utf-8")
    assert "安心e生理赔被拒" in raw  # not \u escapes
    lines = [json.loads(line) for line in raw.splitlines()]
    assert [n["status"] for n in lines] == ["firing", "resolved"]
    assert lines[0]["alerts"] == [make_event().to_dict()]
    assert lines[0]["group_labels"] == {"product": "anxin-e"}


def test_slack_receiver_posts_through_the_web_api() -> None:
    with FakeSlack(token=TOKEN) as slack:
        receiver = SlackReceiver(slack_conf(slack.api_url), names={"anxin-e": "安心e生医疗险"})
        receiver.send(notification(make_event()))
    (request,) = slack.requests
    assert request.method == "POST" and request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"].startswith("application/json")
    body = request.body
    assert body["channel"] == "#舆情预警"
    assert body["text"].startswith("【橙色预警】安心e生医疗险 群体投诉苗头")
    assert "投诉人 15 位" in body["text"]
    assert body["blocks"][0]["type"] == "header"
    assert body["blocks"][0]["text"]["text"] == "【橙色预警】安心e生医疗险 群体投诉苗头"
    assert slack.messages() == [body]


def test_slack_base_url_without_trailing_slash_still_reaches_the_api() -> None:
    with FakeSlack(token=TOKEN) as slack:
        SlackReceiver(slack_conf(slack.url + "/api")).send(notification(make_event()))
    assert [r.path for r in slack.requests] == ["/api/chat.postMessage"]


def test_slack_invalid_auth_raises() -> None:
    with FakeSlack(token=TOKEN) as slack:
        receiver = SlackReceiver(slack_conf(slack.api_url, token="xoxb-wrong"))
        with pytest.raises(SlackApiError) as caught:
            receiver.send(notification(make_event()))
    assert caught.value.response["error"] == "invalid_auth"
    assert slack.messages() == []


def test_slack_rate_limit_becomes_retry_later_with_its_retry_after() -> None:
    with FakeSlack(token=TOKEN) as slack:
        slack.rate_limit(times=1, retry_after=7)
        receiver = SlackReceiver(slack_conf(slack.api_url))
        with pytest.raises(RetryLater) as caught:
            receiver.send(notification(make_event()))
        assert caught.value.retry_after == 7
        receiver.send(notification(make_event()))  # the next call goes through
    assert len(slack.requests) == 2 and len(slack.messages()) == 1


def test_elasticsearch_receiver_indexes_alert_by_id_and_overwrites() -> None:
    with FakeElasticsearch() as es:
        client = make_client(cfg.Elasticsearch(hosts=[es.url], index_prefix="yj"))
        receiver = ElasticsearchAlertReceiver(
            cfg.ElasticsearchReceiver(name="es", type="elasticsearch"), client, "yj"
        )
        receiver.send(notification(make_event()))
        receiver.send(notification(make_event("escalated", severity="red", count=40)))

        writes = [r for r in es.requests if r.path == "/_bulk"]
        assert len(writes) == 2
        alert_id = make_event().id
        assert [(d["op"], d["_index"], d["_id"]) for d in es.bulk_docs()] == [
            ("index", "yj-alerts", alert_id),
            ("index", "yj-alerts", alert_id),
        ]
        assert set(es.docs["yj-alerts"]) == {alert_id}
        (doc,) = es.docs["yj-alerts"].values()
        assert doc["severity"] == "red" and doc["severity_rank"] == 3 and doc["count"] == 40
        assert doc["event"] == "escalated"
        assert doc["samples"][0]["title"] == "安心e生理赔被拒，大家一起投诉"
        assert doc["labels"]["team"] == "pr-east"
        # The templates went in before the first write, so the index got their mappings.
        assert set(es.templates) == {"yj-posts", "yj-alerts"}
        assert es.indices["yj-alerts"]["mappings"]["properties"]["severity"] == {"type": "keyword"}
        assert writes[0].headers["x-elastic-client-meta"]  # the official client, not a stand-in


def test_build_receivers_makes_one_per_configured_receiver(tmp_path: Path) -> None:
    config = make_config(
        notify={
            "receivers": [
                {"name": "log", "type": "log"},
                {"name": "file", "type": "file", "path": str(tmp_path / "a.jsonl")},
                {"name": "slack", "type": "slack", "token": TOKEN, "channel": "#c"},
                {"name": "es", "type": "elasticsearch"},
            ],
            "route": {"receiver": "log"},
        },
        elasticsearch={"hosts": ["http://127.0.0.1:9"]},
    )
    built = build_receivers(config)
    assert {k: type(v) for k, v in built.items()} == {
        "log": LogReceiver,
        "file": FileReceiver,
        "slack": SlackReceiver,
        "es": ElasticsearchAlertReceiver,
    }
    assert built["slack"].client.base_url == "https://slack.com/api/"


def several() -> Notification:
    """A product's alert and two of its categories in one notification: one new, one updated,
    one resolved."""
    product = make_event()
    claims = make_event("updated", id="burst:anxin-e/claims@1", category="claims", severity="red")
    sales = make_event("resolved", id="burst:anxin-e/sales@1", category="sales")
    return notification(product, claims, sales, group_key='{product="anxin-e"}')


def test_log_receiver_writes_a_group_on_one_line(caplog: pytest.LogCaptureFixture) -> None:
    receiver = LogReceiver(cfg.LogReceiver(name="log", type="log"), names=NAMES)
    with caplog.at_level(logging.INFO, logger="yujing.alerts"):
        receiver.send(several())
    (record,) = caplog.records
    line = record.getMessage()
    assert record.levelno == logging.WARNING and "\n" not in line
    assert line.startswith("【红色预警】安心e生医疗险 2 条预警，1 条已解除 — ")
    assert "【红色预警·更新】安心e生医疗险·理赔难 群体投诉苗头" in line
    assert "【已解除】安心e生医疗险·销售误导 群体投诉苗头" in line
    assert line.count("[burst") == 3, "each alert with its id"


def test_file_receiver_writes_the_group_as_one_line(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    FileReceiver(cfg.FileReceiver(name="file", type="file", path=path)).send(several())
    (line,) = path.read_text(encoding="utf-8").splitlines()
    sent = json.loads(line)
    assert sent["group_key"] == '{product="anxin-e"}' and sent["status"] == "firing"
    assert [a["event"] for a in sent["alerts"]] == ["firing", "updated", "resolved"]
    assert Notification.from_dict(sent) == several()


def test_slack_receiver_posts_a_group_as_one_message() -> None:
    with FakeSlack(token=TOKEN) as slack:
        SlackReceiver(slack_conf(slack.api_url), names=NAMES).send(several())
    (body,) = slack.messages()
    assert body["text"].startswith("【红色预警】安心e生医疗险 2 条预警，1 条已解除\n")
    blocks = body["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "【红色预警】安心e生医疗险 2 条预警，1 条已解除",
            "emoji": True,
        },
    }
    assert [b["type"] for b in blocks].count("header") == 1, "one header per message"
    titles = [b["text"]["text"] for b in blocks if b["type"] == "section" and "*【" in str(b)]
    assert titles == [
        "*【橙色预警】安心e生医疗险 群体投诉苗头*",
        "*【红色预警·更新】安心e生医疗险·理赔难 群体投诉苗头*",
        "*【已解除】安心e生医疗险·销售误导 群体投诉苗头*",
    ]
    assert len(blocks) <= 50


def test_a_long_group_is_cut_to_what_slack_takes() -> None:
    events = [
        make_event(id=f"burst:anxin-e/c{i}@1", category=f"c{i}", labels={"product": "anxin-e"})
        for i in range(20)
    ]
    with FakeSlack(token=TOKEN) as slack:
        SlackReceiver(slack_conf(slack.api_url), names=NAMES).send(notification(*events))
    (body,) = slack.messages()
    assert len(body["blocks"]) <= 50
    assert body["blocks"][-1]["elements"][0]["text"].startswith("另有 12 条预警未列出")
    assert body["text"].count("预警编号：") == 20, "the text keeps every alert"


def test_elasticsearch_receiver_writes_one_document_per_alert_of_a_group() -> None:
    with FakeElasticsearch() as es:
        client = make_client(cfg.Elasticsearch(hosts=[es.url], index_prefix="yj"))
        receiver = ElasticsearchAlertReceiver(
            cfg.ElasticsearchReceiver(name="es", type="elasticsearch"), client, "yj"
        )
        receiver.send(several())
        writes = [r for r in es.requests if r.path == "/_bulk"]
        assert len(writes) == 1, "one bulk request"
        ids = [e.id for e in several().events]
        assert [d["_id"] for d in es.bulk_docs()] == ids
        assert set(es.docs["yj-alerts"]) == set(ids)
        assert es.docs["yj-alerts"]["burst:anxin-e/sales@1"]["state"] == "resolved"
