from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from testkit.fakes.elasticsearch import FakeElasticsearch
from yujing import config as cfg
from yujing.notifier.elastic import make_client
from yujing.notifier.receivers import build_receivers
from yujing.notifier.receivers.elasticsearch import ElasticsearchAlertReceiver
from yujing.notifier.receivers.file import FileReceiver
from yujing.notifier.receivers.log import LogReceiver
from yujing.notifier.receivers.slack import SlackReceiver, SlackWebhookReceiver

from .conftest import make_config, make_event

TOKEN = "xoxb-1111-2222-fake"


def test_log_receiver_writes_one_readable_line(caplog: pytest.LogCaptureFixture) -> None:
    receiver = LogReceiver(
        cfg.LogReceiver(name="log", type="log"), names={"anxin-e": "安心e生医疗险"}
    )
    with caplog.at_level(logging.INFO, logger="yujing.alerts"):
        receiver.send(make_event())
        receiver.send(make_event("resolved"))
    firing, resolved = caplog.records
    assert firing.name == "yujing.alerts" and firing.levelno == logging.WARNING
    assert firing.getMessage().startswith("【橙色预警】安心e生医疗险 群体投诉苗头")
    assert "\n" not in firing.getMessage()
    assert resolved.levelno == logging.INFO
    assert resolved.getMessage().startswith("【已解除】")


def test_file_receiver_appends_utf8_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "alerts.jsonl"
    receiver = FileReceiver(cfg.FileReceiver(name="file", type="file", path=path))
    receiver.send(make_event())
    receiver.send(make_event("resolved"))
    raw = path.read_bytes().decode("utf-8")
    assert "安心e生理赔被拒" in raw  # not \u escapes
    events = [json.loads(line) for line in raw.splitlines()]
    assert [e["event"] for e in events] == ["firing", "resolved"]
    assert events[0] == make_event().to_dict()


def test_elasticsearch_receiver_indexes_alert_by_id_and_overwrites() -> None:
    with FakeElasticsearch() as es:
        client = make_client(cfg.Elasticsearch(hosts=[es.url], index_prefix="yj"))
        receiver = ElasticsearchAlertReceiver(
            cfg.ElasticsearchReceiver(name="es", type="elasticsearch"), client, "yj"
        )
        receiver.send(make_event())
        receiver.send(make_event("escalated", severity="red", count=40))

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
