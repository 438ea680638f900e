from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testkit.fakes.elasticsearch import FakeElasticsearch
from yujing import config as cfg
from yujing.alerts import Action, Handling
from yujing.notifier.elastic import make_client
from yujing.notifier.notification import Notification
from yujing.notifier.receivers import build_receivers, event_delivery_id
from yujing.notifier.receivers.elasticsearch import ElasticsearchAlertReceiver, EventRefused
from yujing.notifier.receivers.file import FileReceiver
from yujing.notifier.receivers.log import LogReceiver
from yujing.notifier.receivers.slack import SlackReceiver, SlackWebhookReceiver

from .conftest import es_alert_receiver, make_config, make_event, notification

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
        receiver.send(notification(firing))
        receiver.send(notification(make_event("escalated", severity="red", count=40)))

        writes = [r for r in es.requests if r.path == "/_bulk"]
        assert len(writes) == 2
        alert_id = firing.id
        ops = [(d["op"], d["_index"], d["_id"]) for d in es.bulk_docs()]
        assert ops == [
            ("update", "yj-alerts", alert_id),
            ("create", "yj-alert-events", event_delivery_id(firing)),
            ("update", "yj-alerts", alert_id),
            ("create", "yj-alert-events", event_delivery_id(make_event("escalated"))),
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
        receiver.send(notification(make_event()))
        # Answered 409 for the event: already there, not an error.
        receiver.send(notification(make_event()))
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
            receiver.send(notification(make_event()))
        receiver.send(notification(make_event()))
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


def test_elasticsearch_receiver_writes_each_alert_and_each_event_of_a_group_in_one_bulk() -> None:
    with FakeElasticsearch() as es:
        client = make_client(cfg.Elasticsearch(hosts=[es.url], index_prefix="yj"))
        receiver = ElasticsearchAlertReceiver(
            cfg.ElasticsearchReceiver(name="es", type="elasticsearch"), client, "yj"
        )
        receiver.send(notification(several().events[0]))  # the product's alert, told alone first
        receiver.send(several())
        writes = [r for r in es.requests if r.path == "/_bulk"]
        assert len(writes) == 2, "one bulk request per notification"
        events = several().events
        ids = [e.id for e in events]
        # Action and source lines alternate (an update's doc, a create's document).
        sent = [
            (op, m["_index"], m["_id"]) for line in writes[1].body[::2] for op, m in line.items()
        ]
        assert sent == [
            op
            for e in events
            for op in (
                ("update", "yj-alerts", e.id),
                ("create", "yj-alert-events", event_delivery_id(e)),
            )
        ]
        assert set(es.docs["yj-alerts"]) == set(ids)
        assert es.docs["yj-alerts"]["burst:anxin-e/sales@1"]["state"] == "resolved"
        # The product's event was stored by the first notification: its 409 is no error, and
        # each event is in the stream once, under its own id.
        assert set(es.docs["yj-alert-events"]) == {event_delivery_id(e) for e in events}
        stream = es.docs["yj-alert-events"].values()
        assert sorted(d["alert_id"] for d in stream) == sorted(ids)


def test_a_handling_action_is_written_onto_the_alert_document_and_stays() -> None:
    with FakeElasticsearch() as es:
        receiver = es_alert_receiver(es.url)
        firing = make_event()
        receiver.send(notification(firing))
        at = datetime(2024, 5, 1, 7, 12, tzinfo=UTC)
        assign = Handling(firing.id, Action.ASSIGN, "张三", at, why="夜班跟进", to="李四")
        receiver.send(notification(firing, handling=assign, changed=frozenset()))
        ops = [(d["op"], d["_index"], d["_id"]) for d in es.bulk_docs()][2:]
        assert ops == [("update", "yj-alerts", firing.id)], "no event: the action is no alert event"
        doc = es.docs["yj-alerts"][firing.id]
        assert doc["handling"] == {
            "action": "assign",
            "by": "张三",
            "at": "2024-05-01T07:12:00+00:00",
            "why": "夜班跟进",
            "to": "李四",
        }
        assert doc["assignee"] == "李四" and doc["severity"] == "orange"
        # The alert's next event updates its state and leaves the handling as it was.
        receiver.send(notification(make_event("escalated", severity="red", count=40)))
        doc = es.docs["yj-alerts"][firing.id]
        assert doc["severity"] == "red" and doc["assignee"] == "李四"
        assert doc["handling"]["action"] == "assign"
        assert len(es.docs["yj-alert-events"]) == 2
