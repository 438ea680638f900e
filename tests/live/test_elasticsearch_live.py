"""Against a real cluster, when one is named: YUJING_LIVE_ES=http://localhost:9200 ./scripts/test -m live

`docker compose up -d elasticsearch` starts one. Without the variable these tests are skipped; the
wire-level tests in tests/notifier run everywhere.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest

from yujing import config as cfg
from yujing.alerts import AlertEvent
from yujing.notifier.elastic import PostIndexer, install_templates, make_client, posts_index
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
    client.options(ignore_status=404).indices.delete(index=f"{name}-*")
    for template in (f"{name}-posts", f"{name}-alerts"):
        client.options(ignore_status=404).indices.delete_index_template(name=template)


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
    client.indices.refresh(index=posts_index(prefix))
    hits = client.search(index=posts_index(prefix), query={"match_phrase": {"text": "拒赔"}})
    assert hits["hits"]["total"]["value"] == 1
    assert hits["hits"]["hits"][0]["_source"]["products"] == ["anxin-e"]
    mapping = client.indices.get_mapping(index=posts_index(prefix))
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
    receiver.send(AlertEvent.from_dict(event))
    client.indices.refresh(index=f"{prefix}-alerts")
    doc = client.get(index=f"{prefix}-alerts", id="burst:anxin-e@live")
    assert doc["_source"]["severity"] == "orange"
