"""Against a real cluster, when one is named: YUJING_LIVE_ES=http://localhost:9200 ./scripts/test -m live

`docker compose up -d elasticsearch` starts one. Without the variable these tests are skipped; the
wire-level tests in tests/notifier run everywhere. With YUJING_LIVE_KIBANA=http://localhost:5601
as well (`docker compose up -d kibana`), the saved objects are imported into that Kibana.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest

from yujing import config as cfg
from yujing.alerts import AlertEvent
from yujing.notifier.elastic import (
    PostIndexer,
    alert_events_stream,
    install_templates,
    make_client,
    policy_name,
    posts_pattern,
)
from yujing.notifier.notification import Notification
from yujing.notifier.receivers.elasticsearch import ElasticsearchAlertReceiver
from yujing.records import Post, Reach, ScoredPost, hash_author, post_id
from yujing.store import Store

LIVE = os.environ.get("YUJING_LIVE_ES")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not LIVE, reason="set YUJING_LIVE_ES to a cluster URL to run"),
]


@pytest.fixture
def prefix():
    name = f"yujing-live-{uuid.uuid4().hex[:8]}"
    yield name
    client = make_client(cfg.Elasticsearch(hosts=[LIVE], index_prefix=name))
    quiet = client.options(ignore_status=404)
    quiet.indices.delete_data_stream(name=alert_events_stream(name))
    quiet.indices.delete(index=f"{name}-*")
    for template in (f"{name}-posts", f"{name}-alerts", alert_events_stream(name)):
        quiet.indices.delete_index_template(name=template)
    quiet.ilm.delete_lifecycle(name=policy_name(name))


def test_posts_and_alerts_round_trip_through_a_real_cluster(tmp_path, prefix) -> None:
    client = make_client(cfg.Elasticsearch(hosts=[LIVE], index_prefix=prefix))
    install_templates(client, prefix)
    store = Store(tmp_path / "live.db")
    now = datetime.now(UTC)
    post = Post(
        source="forum",
        url="https://bbs.example.invalid/t/1",
        id=post_id("forum", "1"),
        author=hash_author("王先生", "live-salt"),
        title="安心e生医疗险理赔被拒",
        text="材料齐全还是拒赔，大家一起维权",
        published_at=now,
        fetched_at=now,
        reach=Reach(views=1200, comments=30),
    )
    store.posts.accept(ScoredPost(post, ("anxin-e",), ("claims",), 0.05, True))
    assert PostIndexer(client, store, prefix).index_pending() == 1
    client.indices.refresh(index=posts_pattern(prefix))
    hits = client.search(index=posts_pattern(prefix), query={"match_phrase": {"text": "拒赔"}})
    assert hits["hits"]["total"]["value"] == 1
    assert hits["hits"]["hits"][0]["_source"]["products"] == ["anxin-e"]
    mapping = client.indices.get_mapping(index=posts_pattern(prefix))
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    assert properties["published_at"]["type"] == "date", "the template's mapping, not a guess"

    receiver = ElasticsearchAlertReceiver(
        cfg.ElasticsearchReceiver(name="es", type="elasticsearch"), client, prefix
    )
    event = {
        "key": "burst:anxin-e",
        "id": "burst:anxin-e@live",
        "kind": "burst",
        "product": "anxin-e",
        "category": None,
        "severity": "orange",
        "state": "firing",
        "event": "firing",
        "window_start": now.isoformat(),
        "window_end": now.isoformat(),
        "count": 12,
        "baseline": 0.4,
        "complainants": 9,
        "started_at": now.isoformat(),
        "updated_at": now.isoformat(),
        "resolved_at": None,
        "score": 12.0,
        "sources": 3,
        "reasons": ["12 posts in 1 h against a usual 0.4"],
        "samples": [],
        "labels": {},
        "series": [0, 0, 1, 11],
    }
    receiver.send(_told(AlertEvent.from_dict(event)))
    client.indices.refresh(index=f"{prefix}-alerts")
    doc = client.get(index=f"{prefix}-alerts", id="burst:anxin-e@live")
    assert doc["_source"]["severity"] == "orange"


def _told(event: AlertEvent) -> Notification:
    """A notification of ``event`` alone, as its group's flush makes it."""
    return Notification("es", event.alert.key, {}, (event,), frozenset({event.id}))


def _post(n: int, title: str, text: str, at: datetime) -> ScoredPost:
    post = Post(
        source="forum",
        url=f"https://bbs.example.invalid/t/{n}",
        id=post_id("forum", str(n)),
        author=None,
        title=title,
        text=text,
        published_at=at,
        fetched_at=at,
    )
    return ScoredPost(post, ("anxin-e",), ("claims",), 0.2, False)


def test_chinese_is_found_by_words_names_and_retention_apply(tmp_path, prefix) -> None:
    client = make_client(cfg.Elasticsearch(hosts=[LIVE], index_prefix=prefix))
    store = Store(tmp_path / "live.db")
    now = datetime.now(UTC)
    store.posts.accept(_post(1, "理赔难", "安心e生理赔难，材料交了三次", now))
    store.posts.accept(_post(2, "看不懂", "难以理解赔偿条款", now))
    indexer = PostIndexer(
        client, store, prefix, names={"anxin-e": "安心e生医疗险"}, retention=180 * 86400
    )
    assert indexer.index_pending() == 2
    client.indices.refresh(index=posts_pattern(prefix))

    def ids(query: dict) -> set[str]:
        hits = client.search(index=posts_pattern(prefix), query=query)["hits"]["hits"]
        return {h["_source"]["title"] for h in hits}

    # By words: 理赔难 is 理赔 + 赔难, which "难以理解赔偿" does not contain.
    assert ids({"match": {"text": "理赔难"}}) == {"理赔难"}
    # One character through .chars; the exact title through .keyword.
    assert ids({"match": {"text.chars": "赔"}}) == {"理赔难", "看不懂"}
    assert ids({"term": {"title.keyword": "看不懂"}}) == {"看不懂"}
    assert ids({"term": {"product_names": "安心e生医疗险"}}) == {"理赔难", "看不懂"}
    tokens = client.indices.analyze(
        index=f"{prefix}-posts-{now:%Y.%m}.01", field="text", text="理赔难"
    )
    assert [t["token"] for t in tokens["tokens"]] == ["理赔", "赔难"]

    policy = client.ilm.get_lifecycle(name=policy_name(prefix))[policy_name(prefix)]
    assert policy["policy"]["phases"]["delete"]["min_age"] == "211d"
    explain = client.ilm.explain_lifecycle(index=f"{prefix}-posts-*")["indices"]
    (state,) = explain.values()
    assert state["managed"] is True and state["policy"] == policy_name(prefix)
    # The index's age counts from the first of its month, read from its name (a cluster
    # refuses to create an index whose name does not carry a date in that form).
    settings = client.indices.get_settings(index=f"{prefix}-posts-*")
    ((name, index_settings),) = settings.items()
    assert name == f"{prefix}-posts-{now:%Y.%m}.01"
    lifecycle = index_settings["settings"]["index"]["lifecycle"]
    assert lifecycle["parse_origination_date"] == "true"


def test_each_alert_event_is_a_document_and_a_resend_is_not(prefix) -> None:
    client = make_client(cfg.Elasticsearch(hosts=[LIVE], index_prefix=prefix))
    receiver = ElasticsearchAlertReceiver(
        cfg.ElasticsearchReceiver(name="es", type="elasticsearch"), client, prefix
    )
    now = datetime.now(UTC).isoformat()
    base = {
        "key": "burst:anxin-e",
        "id": "burst:anxin-e@events",
        "kind": "burst",
        "product": "anxin-e",
        "severity": "orange",
        "state": "firing",
        "window_start": now,
        "window_end": now,
        "count": 12,
        "baseline": 0.4,
        "complainants": 9,
        "started_at": now,
        "updated_at": now,
        "labels": {"new_terms": "退保,扣费"},
    }
    firing = AlertEvent.from_dict({**base, "event": "firing"})
    receiver.send(_told(firing))
    receiver.send(_told(firing))  # a second try after a lost answer: 409, taken as done
    later = datetime.now(UTC).replace(microsecond=0).isoformat()
    receiver.send(
        _told(
            AlertEvent.from_dict(
                {**base, "event": "escalated", "severity": "red", "count": 30, "updated_at": later}
            )
        )
    )
    stream = alert_events_stream(prefix)
    assert client.indices.get_data_stream(name=stream)["data_streams"][0]["name"] == stream
    client.indices.refresh(index=stream)
    hits = client.search(index=stream, sort=[{"@timestamp": "asc"}, {"event": "asc"}])
    events = [h["_source"] for h in hits["hits"]["hits"]]
    assert sorted(e["event"] for e in events) == ["escalated", "firing"]
    assert {e["alert_id"] for e in events} == {"burst:anxin-e@events"}
    assert events[0]["new_terms"] == ["退保", "扣费"]
    client.indices.refresh(index=f"{prefix}-alerts")
    state = client.get(index=f"{prefix}-alerts", id="burst:anxin-e@events")["_source"]
    assert state["severity"] == "red" and state["count"] == 30


KIBANA = os.environ.get("YUJING_LIVE_KIBANA")


@pytest.mark.skipif(not KIBANA, reason="set YUJING_LIVE_KIBANA to a Kibana URL to run")
def test_the_saved_objects_import_into_a_real_kibana(prefix) -> None:
    import contextlib
    import json
    from urllib.request import Request, urlopen

    from yujing.notifier.kibana import import_saved_objects, saved_objects

    conf = cfg.Kibana(url=KIBANA)
    objects = saved_objects(prefix)
    try:
        result = import_saved_objects(conf, objects)
        assert result.errors == [] and result.success
        assert result.success_count == len(objects)
        url = f"{KIBANA}/api/saved_objects/dashboard/{prefix}-overview"
        with urlopen(url, timeout=30) as answer:
            dashboard = json.loads(answer.read())
        assert dashboard["attributes"]["title"] == "yujing · 群体投诉总览"
        assert {r["id"] for r in dashboard["references"]} >= {f"{prefix}-sentiment"}
    finally:
        for obj in objects:
            url = f"{KIBANA}/api/saved_objects/{obj['type']}/{obj['id']}?force=true"
            request = Request(url, method="DELETE", headers={"kbn-xsrf": "true"})
            with contextlib.suppress(OSError):  # gone already
                urlopen(request, timeout=30).close()
