from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from testkit.fakes.elasticsearch import FakeElasticsearch
from yujing import config as cfg
from yujing.notifier.elastic import make_client
from yujing.notifier.receivers import build_receivers, delivery_id
from yujing.notifier.receivers.elasticsearch import ElasticsearchAlertReceiver, EventRefused
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


def test_elasticsearch_receiver_keeps_the_alert_state_and_every_event() -> None:
    with FakeElasticsearch() as es:
        client = make_client(cfg.Elasticsearch(hosts=[es.url], index_prefix="yj"))
        receiver = ElasticsearchAlertReceiver(
            cfg.ElasticsearchReceiver(name="es", type="elasticsearch"),
            client,
            "yj",
            names={"anxin-e": "安心e生医疗险"},
        )
        firing = make_event(annotations={"discover_url": "http://kibana:5601/app/discover#/"})
        receiver.send(firing)
        receiver.send(make_event("escalated", severity="red", count=40))

        writes = [r for r in es.requests if r.path == "/_bulk"]
        assert len(writes) == 2
        alert_id = firing.id
        ops = [(d["op"], d["_index"], d["_id"]) for d in es.bulk_docs()]
        assert ops == [
            ("update", "yj-alerts", alert_id),
            ("create", "yj-alert-events", delivery_id(firing)),
            ("update", "yj-alerts", alert_id),
            ("create", "yj-alert-events", delivery_id(make_event("escalated", severity="red"))),
        ]
        assert writes[0].body[1]["doc_as_upsert"] is True
        # The current state: one document per alert, updated in place.
        assert set(es.docs["yj-alerts"]) == {alert_id}
        (doc,) = es.docs["yj-alerts"].values()
        assert doc["severity"] == "red" and doc["severity_rank"] == 3 and doc["count"] == 40
        assert doc["event"] == "escalated" and doc["product_name"] == "安心e生医疗险"
        assert doc["samples"][0]["title"] == "安心e生理赔被拒，大家一起投诉"
        assert doc["labels"]["team"] == "pr-east"
        # The history: each event a document of the data stream, with the time it happened.
        assert es.data_streams == {"yj-alert-events"}
        events = sorted(es.docs["yj-alert-events"].values(), key=lambda d: d["event"])
        assert [(e["event"], e["severity"], e["count"]) for e in events] == [
            ("escalated", "red", 40),
            ("firing", "orange", 23),
        ]
        assert {e["alert_id"] for e in events} == {alert_id}
        assert events[1]["@timestamp"] == "2024-05-01T07:00:00+00:00"
        assert events[1]["discover_url"] == "http://kibana:5601/app/discover#/"
        # The templates went in before the first write, so the index got their mappings.
        assert set(es.templates) == {"yj-posts", "yj-alerts", "yj-alert-events"}
        assert es.indices["yj-alerts"]["mappings"]["properties"]["severity"] == {"type": "keyword"}
        assert writes[0].headers["x-elastic-client-meta"]  # the official client, not a stand-in


def test_an_event_sent_again_is_not_stored_twice() -> None:
    # The first try reached the cluster but its answer was lost; the dispatcher sends again.
    with FakeElasticsearch() as es:
        client = make_client(cfg.Elasticsearch(hosts=[es.url], index_prefix="yj"))
        receiver = ElasticsearchAlertReceiver(
            cfg.ElasticsearchReceiver(name="es", type="elasticsearch"), client, "yj"
        )
        receiver.send(make_event())
        receiver.send(make_event())  # answered 409 for the event: already there, not an error
        answer = es.requests[-1]
        assert answer.path == "/_bulk"
        assert len(es.docs["yj-alert-events"]) == 1


def test_a_refused_alert_document_raises_so_the_event_is_sent_again() -> None:
    with FakeElasticsearch() as es:
        client = make_client(cfg.Elasticsearch(hosts=[es.url], index_prefix="yj"))
        receiver = ElasticsearchAlertReceiver(
            cfg.ElasticsearchReceiver(name="es", type="elasticsearch"), client, "yj"
        )
        es.reject_bulk_items(times=1)  # 200 with every item refused 429
        with pytest.raises(EventRefused, match="HTTP 429"):
            receiver.send(make_event())
        receiver.send(make_event())
        assert len(es.docs["yj-alert-events"]) == 1 and len(es.docs["yj-alerts"]) == 1


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
