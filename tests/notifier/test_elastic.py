from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime

import pytest
from elasticsearch import ApiError

from testkit.fakes.elasticsearch import FakeElasticsearch
from yujing.alerts import Action, Handling
from yujing.config import Elasticsearch as EsConfig
from yujing.notifier.elastic import (
    CURSOR_KEY,
    AlertDoc,
    BulkRetry,
    PostDoc,
    PostIndexer,
    index_templates,
    install_templates,
    lifecycle_policy,
    make_client,
    posts_index,
    posts_pattern,
    sentiment_label,
)
from yujing.records import Reach
from yujing.store import Store

from .conftest import es_alert_receiver, make_event, make_scored, notification


def client_for(es: FakeElasticsearch, **kw):
    return make_client(EsConfig(hosts=[es.url], index_prefix="yj", **kw))


def fill(store: Store, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        assert store.posts.accept(make_scored(i))


def test_templates_are_composable_and_carry_the_document_mappings() -> None:
    with FakeElasticsearch() as es:
        install_templates(client_for(es), "yj")
    puts = [r for r in es.requests if r.method == "PUT"]
    assert [r.path for r in puts] == [
        "/_index_template/yj-posts",
        "/_index_template/yj-alerts",
        "/_index_template/yj-alert-events",
    ]
    assert es.policies == {}, "no retention configured: no policy"
    posts = es.templates["yj-posts"]
    assert posts["index_patterns"] == ["yj-posts-*"]
    assert posts["template"]["mappings"] == PostDoc._doc_type.mapping.to_dict()
    assert es.templates["yj-alerts"]["template"] == AlertDoc._index.to_dict()
    props = posts["template"]["mappings"]["properties"]
    # Words through bigrams, single characters and exact text through subfields.
    assert props["title"] == {
        "type": "text",
        "analyzer": "zh_bigram",
        "fields": {
            "chars": {"type": "text", "analyzer": "standard"},
            "keyword": {"type": "keyword", "ignore_above": 256},
        },
    }
    assert props["text"]["analyzer"] == "zh_bigram"
    assert set(props["text"]["fields"]) == {"chars", "keyword"}
    assert posts["template"]["settings"]["analysis"]["analyzer"]["zh_bigram"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["cjk_width", "lowercase", "cjk_bigram"],
    }
    for field in ("product_names", "category_names", "sentiment_label"):
        assert props[field] == {"type": "keyword"}, field
    assert props["published_at"] == {"type": "date"}
    assert props["products"] == {"type": "keyword"}
    assert props["reach"]["properties"]["views"] == {"type": "integer"}
    body = index_templates("yj")["yj-posts"]
    assert posts == {
        "index_patterns": ["yj-posts-*"],
        "template": body["template"],
        "priority": 200,
        "version": 4,
        "_meta": {"managed_by": "yujing"},
    }
    # Every alert event in a data stream of its own, with the time Kibana sorts by.
    events = es.templates["yj-alert-events"]
    assert events["data_stream"] == {} and events["index_patterns"] == ["yj-alert-events*"]
    event_props = events["template"]["mappings"]["properties"]
    assert event_props["@timestamp"] == {"type": "date"}
    assert event_props["alert_id"] == {"type": "keyword"}
    assert event_props["severity"] == {"type": "keyword"}
    assert event_props["reasons"]["analyzer"] == "zh_bigram"


def test_retention_installs_an_ilm_policy_the_posts_template_applies() -> None:
    with FakeElasticsearch() as es:
        install_templates(client_for(es), "yj", retention=180 * 86400)
    paths = [r.path for r in es.requests if r.method == "PUT"]
    assert paths[0] == "/_ilm/policy/yj-posts", "the policy exists before a template names it"
    policy = es.policies["yj-posts"]["policy"]
    # A month's index goes once its newest post (at most 31 days after the 1st) is 180 days old.
    assert policy["phases"]["delete"] == {"min_age": "211d", "actions": {"delete": {}}}
    assert policy["_meta"] == {"managed_by": "yujing", "retention": "180d"}
    settings = es.templates["yj-posts"]["template"]["settings"]
    assert settings["index.lifecycle.name"] == "yj-posts"
    assert settings["index.lifecycle.parse_origination_date"] is True
    assert "index.lifecycle.name" not in es.templates["yj-alerts"]["template"]["settings"]


def test_retention_in_hours_is_kept_to_the_second() -> None:
    policy = lifecycle_policy(36 * 3600)
    assert policy["phases"]["delete"]["min_age"] == f"{36 * 3600 + 31 * 86400}s"


def test_posts_go_to_the_index_of_their_month_in_the_form_ilm_reads() -> None:
    assert posts_index("yj", "2024-05-31T23:59:59+00:00") == "yj-posts-2024.05.01"
    assert posts_index("yj", "2024-06-01T00:00:00+08:00") == "yj-posts-2024.05.01"  # UTC
    assert posts_pattern("yj") == "yj-posts*"


def test_sentiment_labels_follow_the_detector_thresholds() -> None:
    from yujing.detector.sentiment import label

    words = {"negative": "负面", "neutral": "中性", "positive": "正面"}
    for score in (0.0, 0.39, 0.4, 0.5, 0.6, 0.61, 1.0):
        assert sentiment_label(score) == words[label(score)], score
    assert sentiment_label(None) is None


def test_post_indexer_bulk_indexes_new_posts_and_moves_the_cursor(store: Store) -> None:
    fill(store, 3)
    with FakeElasticsearch() as es:
        names = {"anxin-e": "安心e生医疗险", "理赔": "理赔难/拒赔"}
        indexer = PostIndexer(client_for(es), store, "yj", names=names)
        assert indexer.index_pending(batch=2) == 2
        assert indexer.index_pending(batch=2) == 1
        assert indexer.index_pending(batch=2) == 0
        bulks = [r for r in es.requests if r.path == "/_bulk"]
    assert len(bulks) == 2
    # The wire format: NDJSON action line, then the source, per post.
    first = bulks[0]
    assert first.headers["content-type"].startswith("application/vnd.elasticsearch+x-ndjson")
    assert first.raw.decode("utf-8").endswith("\n")
    assert first.body[0] == {"index": {"_id": "post0000", "_index": "yj-posts-2024.05.01"}}
    source = first.body[1]
    assert source["title"] == "安心e生理赔被拒 第0帖"
    assert "集体投诉" in source["text"]
    assert "安心e生理赔被拒".encode() in first.raw  # sent as UTF-8, not \u escapes
    assert source["products"] == ["anxin-e"] and source["categories"] == ["理赔"]
    assert source["product_names"] == ["安心e生医疗险"]
    assert source["category_names"] == ["理赔难/拒赔"]
    assert source["collective"] is True and source["sentiment"] == 0.08
    assert source["sentiment_label"] == "负面"
    assert source["reach"] == {"views": 100, "comments": 3} and source["reach_total"] == 103
    assert source["published_at"] == "2024-05-01T06:00:00+00:00"
    assert source["text_id"] == "post0000"  # stored without a copy group: a text of its own
    docs = es.bulk_docs()
    assert [(d["op"], d["_index"], d["_id"]) for d in docs] == [
        ("index", "yj-posts-2024.05.01", "post0000"),
        ("index", "yj-posts-2024.05.01", "post0001"),
        ("index", "yj-posts-2024.05.01", "post0002"),
    ]
    assert store.state.get(CURSOR_KEY) == 3
    # Templates went in before the first write, so the auto-created index has the mappings.
    mappings = es.indices["yj-posts-2024.05.01"]["mappings"]
    assert mappings["properties"]["author"] == {"type": "keyword"}


def test_cursor_stays_put_while_the_cluster_fails_then_catches_up(store: Store) -> None:
    fill(store, 2)
    with FakeElasticsearch() as es:
        indexer = PostIndexer(client_for(es), store, "yj")
        es.fail(503)
        with pytest.raises(ApiError) as caught:
            indexer.index_pending()
        assert caught.value.status_code == 503
        assert store.state.get(CURSOR_KEY) is None
        assert es.bulk_docs() == []

        fill(store, 1, start=2)  # more posts arrive meanwhile
        es.recover()
        assert indexer.index_pending() == 3
        assert [d["_id"] for d in es.bulk_docs()] == ["post0000", "post0001", "post0002"]
        assert set(es.docs["yj-posts-2024.05.01"]) == {"post0000", "post0001", "post0002"}
        assert store.state.get(CURSOR_KEY) == 3


def test_items_refused_inside_a_200_bulk_are_sent_again(store: Store) -> None:
    fill(store, 2)
    with FakeElasticsearch() as es:
        indexer = PostIndexer(client_for(es), store, "yj")
        indexer.index_pending()
        fill(store, 2, start=2)
        es.reject_bulk_items(times=1)  # HTTP 200, but "errors": true
        with pytest.raises(BulkRetry, match="2 of 2 posts refused for now"):
            indexer.index_pending()
        assert store.state.get(CURSOR_KEY) == 2
        assert indexer.index_pending() == 2
        assert sorted(es.docs["yj-posts-2024.05.01"]) == [
            "post0000",
            "post0001",
            "post0002",
            "post0003",
        ]
        assert store.state.get(CURSOR_KEY) == 4


def test_a_document_the_cluster_never_takes_does_not_block_the_rest(store: Store, caplog) -> None:
    fill(store, 3)
    with FakeElasticsearch() as es:
        indexer = PostIndexer(client_for(es), store, "yj")
        es.reject_bulk_items(times=1, first_only=True)  # 400 mapper_parsing_exception
        assert indexer.index_pending() == 3
        assert sorted(es.docs["yj-posts-2024.05.01"]) == ["post0001", "post0002"]
        assert store.state.get(CURSOR_KEY) == 3, "the cursor moves past the refused post"
        assert "post post0000 not indexed" in caplog.text
        fill(store, 1, start=3)
        assert indexer.index_pending() == 1
        assert "post0003" in es.docs["yj-posts-2024.05.01"]


def test_async_indexing_sends_from_a_worker_thread(store: Store) -> None:
    fill(store, 2)
    with FakeElasticsearch() as es:
        indexer = PostIndexer(client_for(es), store, "yj")
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(indexer.index_pending_async()) == 2
        finally:
            loop.close()
        assert sorted(es.docs["yj-posts-2024.05.01"]) == ["post0000", "post0001"]
        assert store.state.get(CURSOR_KEY) == 2


def test_cursor_survives_a_new_indexer(store: Store) -> None:
    fill(store, 2)
    with FakeElasticsearch() as es:
        PostIndexer(client_for(es), store, "yj").index_pending()
        again = PostIndexer(client_for(es), store, "yj")
        assert again.cursor == 2
        assert again.index_pending() == 0


def test_make_client_sends_api_key_and_checks_the_product_header() -> None:
    with FakeElasticsearch() as es:
        client = client_for(es, api_key="c2VjcmV0")
        info = client.info()
        assert info["version"]["number"] == "8.15.0"
        assert es.requests[-1].headers["authorization"] == "ApiKey c2VjcmV0"

        basic = client_for(es, username="elastic", password="pw")
        basic.info()
        expected = "Basic " + base64.b64encode(b"elastic:pw").decode()
        assert es.requests[-1].headers["authorization"] == expected


def test_a_false_alarm_is_marked_on_the_alert_document_and_in_the_template() -> None:
    mapping = index_templates("yj")["yj-alerts"]["template"]["mappings"]["properties"]
    assert mapping["false_alarm"]["properties"]["reason"]["type"] == "text"
    with FakeElasticsearch() as es:
        receiver = es_alert_receiver(es.url)
        firing = make_event()
        receiver.send(notification(firing))
        at = datetime(2024, 5, 1, 7, 12, tzinfo=UTC)
        done = Handling(firing.id, Action.RESOLVE, "张三", at, why="误报：产品上线公告")
        receiver.send(
            notification(firing, handling=done, false_alarm="产品上线公告", changed=frozenset())
        )
        doc = es.docs["yj-alerts"][firing.id]
        assert doc["false_alarm"] == {
            "reason": "产品上线公告",
            "by": "张三",
            "at": "2024-05-01T07:12:00+00:00",
        }
        assert doc["handling"]["action"] == "resolve"
        # An ordinary action marks nothing.
        other = make_event(id="burst/anxin-e/-@2024-05-02T06:00:00+00:00")
        receiver.send(notification(other))
        receiver.send(notification(other, handling=Handling(other.id, Action.ACK, "李四", at)))
        assert "false_alarm" not in es.docs["yj-alerts"][other.id]


def test_an_indexed_post_replaced_or_merged_is_brought_up_to_date(store: Store) -> None:
    """A record replaced by a richer one is re-sent as it reads now (and moved when its month
    changed); a record merged into another is deleted: Kibana never keeps the poorer record or a
    second document of one post."""
    from dataclasses import replace

    from yujing.notifier.elastic import AMENDED_KEY

    fill(store, 3)
    with FakeElasticsearch() as es:
        indexer = PostIndexer(client_for(es), store, "yj")
        assert indexer.index_pending() == 3 and indexer.index_pending() == 0
        first = make_scored(0)
        longer = first.post.text + "。全文：已等三个月"
        richer = replace(first, post=replace(first.post, text=longer))
        earlier = replace(richer.post, published_at=datetime(2024, 4, 30, 23, tzinfo=UTC))
        alias = replace(richer.post, id="feed-0", source="feed", author=None)
        assert store.posts.replace(replace(richer, post=earlier), alias=alias)
        assert store.posts.merge(make_scored(2).post, into="post0001")
        assert indexer.index_pending() == 2
        assert indexer.index_pending() == 0, "each amendment is sent once"
        docs = es.bulk_docs()[3:]
    assert [(d["op"], d["_index"], d["_id"]) for d in docs] == [
        ("index", "yj-posts-2024.04.01", "post0000"),  # the richer record, in its month now
        ("delete", "yj-posts-2024.05.01", "post0000"),  # ... not left in the old one
        ("delete", "yj-posts-2024.05.01", "post0002"),  # merged into post0001
    ]
    assert docs[0]["source"]["text"].endswith("已等三个月")
    assert store.state.get(AMENDED_KEY) == 2


def test_an_indexed_post_edited_later_is_sent_again_as_it_reads_now(store: Store) -> None:
    """A forum post edited after it was indexed (new words, more replies): Kibana shows the text
    and reach the store has now, in the same document."""
    from dataclasses import replace

    fill(store, 2)
    with FakeElasticsearch() as es:
        indexer = PostIndexer(client_for(es), store, "yj")
        assert indexer.index_pending() == 2
        first = make_scored(1)
        edited = replace(
            first,
            post=replace(
                first.post,
                text=first.post.text + "。补充：客服说再等一个月",
                reach=Reach(views=900, comments=41),
            ),
        )
        assert store.posts.update(edited)
        assert indexer.index_pending() == 1
        assert indexer.index_pending() == 0, "an edit is sent once"
        docs = es.bulk_docs()[2:]
    assert [(d["op"], d["_index"], d["_id"]) for d in docs] == [
        ("index", "yj-posts-2024.05.01", "post0001")
    ]
    assert docs[0]["source"]["text"].endswith("再等一个月")
    assert docs[0]["source"]["reach_total"] == 941
