from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from testkit.fakes.elasticsearch import FakeElasticsearch
from yujing import config as cfg
from yujing.notifier.elastic import make_client
from yujing.notifier.notification import Notification
from yujing.notifier.receivers import build_receivers
from yujing.notifier.receivers.elasticsearch import ElasticsearchAlertReceiver
from yujing.notifier.receivers.file import FileReceiver
from yujing.notifier.receivers.log import LogReceiver
from yujing.notifier.receivers.slack import SlackReceiver, SlackWebhookReceiver

from .conftest import make_config, make_event, notification

TOKEN = "xoxb-1111-2222-fake"
NAMES = {"anxin-e": "安心e生医疗险", "claims": "理赔难", "sales": "销售误导"}


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
                {"name": "hook", "type": "slack", "webhook_url": "https://hooks.slack.com/x"},
                {"name": "es", "type": "elasticsearch"},
            ],
            "route": {"receiver": "log"},
        },
        elasticsearch={"hosts": ["http://127.0.0.1:9"]},
        storage={"path": str(tmp_path / "store" / "yujing.db")},
    )
    built = build_receivers(config)
    assert {k: type(v) for k, v in built.items()} == {
        "log": LogReceiver,
        "file": FileReceiver,
        "slack": SlackReceiver,
        "hook": SlackWebhookReceiver,
        "es": ElasticsearchAlertReceiver,
    }
    assert built["slack"].client.base_url == "https://slack.com/api/"
    # The Slack receiver's own connection to the store opens on its first send, not before.
    assert not (tmp_path / "store").exists()


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
