"""Posts and alerts in Elasticsearch, through the official client and its DSL.

Posts go into one index per month, ``<prefix>-posts-YYYY.MM.01`` by publication time, so that
retention (``elasticsearch.retention``) drops a whole month's index through an ILM policy, and a
post sent again lands on its own document (the post id is the document id). Alerts keep one
document per alert in ``<prefix>-alerts`` (its current state), and every event of an alert is a
document of its own in the ``<prefix>-alert-events`` data stream (its history).

Composable index templates carry the mappings, so an index created by the first write gets
them, and Kibana reads the fields as they are: Chinese text searchable by words (bigrams), by
single characters (``.chars``) and exactly (``.keyword``); names beside ids; dates as dates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.dsl import (
    Boolean,
    Date,
    Document,
    Float,
    Integer,
    Keyword,
    MetaField,
    Object,
    Text,
    analyzer,
)
from elasticsearch.helpers import bulk

from yujing.alerts import Severity
from yujing.config import Elasticsearch as ElasticsearchConfig
from yujing.records import parse_time
from yujing.store import Store

__all__ = [
    "PostDoc",
    "AlertDoc",
    "make_client",
    "posts_index",
    "posts_pattern",
    "alerts_index",
    "alert_events_stream",
    "alert_event_doc",
    "index_templates",
    "lifecycle_policy",
    "policy_name",
    "install_templates",
    "sentiment_label",
    "PostIndexer",
    "CURSOR_KEY",
    "ZH_ANALYZER",
]

log = logging.getLogger("yujing.elastic")

CURSOR_KEY = "es.posts.cursor"
# The last post amendment (a record replaced by a richer one, two records merged) sent.
AMENDED_KEY = "es.posts.amended"
TEMPLATE_PRIORITY = 200  # above Elastic's built-in templates (100), in case a pattern overlaps
TEMPLATE_VERSION = 4  # 3: handling and assignee on alerts; 4: false_alarm
MONTH = 31 * 86400  # the longest a month's index keeps taking posts

# Chinese has no spaces, and the standard analyzer makes every character a word: "理赔难" would
# match any post with 理, 赔 or 难. Overlapping pairs of characters (cjk_bigram, what the
# built-in ``cjk`` analyzer does, without its English stop words) find words on a stock cluster,
# no plugin needed; full-width letters and digits fold to their ASCII forms first.
ZH_ANALYZER = analyzer(
    "zh_bigram", tokenizer="standard", filter=["cjk_width", "lowercase", "cjk_bigram"]
)

# Kept in step with the detector's sentiment thresholds (yujing.detector.sentiment.label): the
# notifier may not import the detector, so a test checks that the two agree.
NEGATIVE_BELOW = 0.4
POSITIVE_ABOVE = 0.6
SENTIMENT_LABELS = {"negative": "负面", "neutral": "中性", "positive": "正面"}


def sentiment_label(score: float | None) -> str | None:
    """负面 | 中性 | 正面 for a 0..1 score (1 = positive)."""
    if score is None:
        return None
    if score < NEGATIVE_BELOW:
        return SENTIMENT_LABELS["negative"]
    if score > POSITIVE_ABOVE:
        return SENTIMENT_LABELS["positive"]
    return SENTIMENT_LABELS["neutral"]


def _chinese_text(keyword_above: int = 256) -> Text:
    # Words through bigrams; a single character (a query of one character, which bigrams
    # cannot match) through .chars; the exact text, for aggregations and filters, through .keyword.
    return Text(
        analyzer=ZH_ANALYZER,
        fields={
            "chars": Text(analyzer="standard"),
            "keyword": Keyword(ignore_above=keyword_above),
        },
    )


class PostDoc(Document):
    source = Keyword()
    url = Keyword()
    author = Keyword()  # salted hash, never the raw name
    text_id = Keyword()  # copy group: the posts of one (nearly) identical text share it
    title = _chinese_text()
    text = _chinese_text(keyword_above=1024)
    published_at = Date()
    fetched_at = Date()
    products = Keyword(multi=True)
    product_names = Keyword(multi=True)  # what people read, beside the ids filters use
    categories = Keyword(multi=True)
    category_names = Keyword(multi=True)
    sentiment = Float()
    sentiment_label = Keyword()  # 负面 | 中性 | 正面
    collective = Boolean()
    reach = Object(
        properties={
            "views": Integer(),
            "comments": Integer(),
            "reposts": Integer(),
            "likes": Integer(),
        }
    )
    reach_total = Integer()
    extras = Object(enabled=False)  # kept in _source, not indexed: its shape varies by source

    class Index:
        name = "yujing-posts-*"
        settings = {"number_of_shards": 1}

    @classmethod
    def from_post(
        cls, doc: dict[str, Any], index: str, names: Mapping[str, str] | None = None
    ) -> PostDoc:
        """From a stored post (``ScoredPost.to_dict()``); the post id is the document id.
        ``names``: product and category ids -> the names people read."""
        names = names or {}
        reach = {k: v for k, v in (doc.get("reach") or {}).items() if v is not None}
        products = list(doc.get("products") or [])
        categories = list(doc.get("categories") or [])
        return cls(
            meta={"id": doc["id"], "index": index},
            source=doc["source"],
            url=doc["url"],
            author=doc.get("author"),
            # Posts stored before copies were tracked are each a text of their own.
            text_id=doc.get("text_id") or doc["id"],
            title=doc.get("title", ""),
            text=doc.get("text", ""),
            published_at=doc["published_at"],
            fetched_at=doc["fetched_at"],
            products=products,
            product_names=[names.get(p, p) for p in products],
            categories=categories,
            category_names=[names.get(c, c) for c in categories],
            sentiment=doc.get("sentiment"),
            sentiment_label=sentiment_label(doc.get("sentiment")),
            collective=bool(doc.get("collective", False)),
            reach=reach,
            reach_total=sum(reach.values()),
            extras=doc.get("extras") or {},
        )


class AlertDoc(Document):
    id = Keyword()  # also the document id; kept as a field so Kibana can show and filter it
    key = Keyword()
    kind = Keyword()
    product = Keyword()
    product_name = Keyword()
    category = Keyword()
    category_name = Keyword()
    severity = Keyword()
    severity_rank = Integer()  # sorts blue < yellow < orange < red in Kibana
    state = Keyword()
    event = Keyword()
    window_start = Date()
    window_end = Date()
    started_at = Date()
    updated_at = Date()
    resolved_at = Date()
    count = Integer()
    baseline = Float()
    complainants = Integer()
    sources = Integer()
    score = Float()
    reasons = _chinese_text()
    samples = Object(
        multi=True,
        properties={
            "id": Keyword(),
            "source": Keyword(),
            "url": Keyword(),
            "title": _chinese_text(),
            "published_at": Date(),
        },
    )
    new_terms = Keyword(multi=True)  # words new in the wave's posts (labels.new_terms, split)
    discover_url = Keyword(index=False)  # Kibana Discover on the alert's posts, when configured
    labels = Object()
    # Written by handling actions (yujing alert ack|assign|note|resolve), never by the events.
    handling = Object(
        properties={
            "action": Keyword(),
            "by": Keyword(),
            "at": Date(),
            "why": _chinese_text(),
            "to": Keyword(),
        }
    )
    assignee = Keyword()
    # ``yujing alert resolve --false-alarm REASON``: the alert was a false alarm, and why.
    false_alarm = Object(properties={"reason": _chinese_text(), "by": Keyword(), "at": Date()})

    class Meta:
        # Labels are free-form; keep each one a keyword so it can be filtered and counted.
        dynamic_templates = MetaField(
            [{"labels_as_keywords": {"path_match": "labels.*", "mapping": {"type": "keyword"}}}]
        )

    class Index:
        name = "yujing-alerts"
        settings = {"number_of_shards": 1}

    @classmethod
    def from_event(
        cls, event: dict[str, Any], index: str, names: Mapping[str, str] | None = None
    ) -> AlertDoc:
        """One document per alert wave: the alert id is the document id, so updates overwrite."""
        names = names or {}
        fields = {k: v for k, v in event.items() if k in cls._doc_type.mapping}
        fields["severity_rank"] = Severity(event["severity"]).rank
        product, category = event.get("product") or "", event.get("category") or ""
        fields["product_name"] = names.get(product, product) or None
        fields["category_name"] = names.get(category, category) or None
        terms = str((event.get("labels") or {}).get("new_terms") or "")
        fields["new_terms"] = [t for t in terms.split(",") if t] or None
        link = (event.get("annotations") or {}).get("discover_url")
        if link:
            fields["discover_url"] = link
        return cls(meta={"id": event["id"], "index": index}, **fields)


def alert_event_doc(
    event: dict[str, Any], names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The source of one alert event's document: the alert as it stood, ``@timestamp`` (when
    the event happened: the alert's update time) and ``alert_id`` to find the alert's others."""
    doc = AlertDoc.from_event(event, "", names).to_dict()
    doc["@timestamp"] = event["updated_at"]
    doc["alert_id"] = event["id"]
    return doc


def posts_pattern(prefix: str) -> str:
    """Every posts index, for searching (and the indices of older versions: ``<prefix>-posts``)."""
    return f"{prefix}-posts*"


def posts_index(prefix: str, published_at: str | Any) -> str:
    """The month's index: ``<prefix>-posts-2026.11.01``. The day keeps the name in the form ILM
    reads an index's date from (``index.lifecycle.parse_origination_date``)."""
    when = parse_time(published_at)
    return f"{prefix}-posts-{when:%Y.%m}.01"


def alerts_index(prefix: str) -> str:
    return f"{prefix}-alerts"


def alert_events_stream(prefix: str) -> str:
    return f"{prefix}-alert-events"


def policy_name(prefix: str) -> str:
    return f"{prefix}-posts"


def make_client(cfg: ElasticsearchConfig) -> Elasticsearch:
    kwargs: dict[str, Any] = {
        "request_timeout": cfg.request_timeout,
        "verify_certs": cfg.verify_certs,
        "retry_on_timeout": True,
    }
    if cfg.api_key:
        kwargs["api_key"] = cfg.api_key
    elif cfg.username:
        kwargs["basic_auth"] = (cfg.username, cfg.password or "")
    if cfg.ca_certs is not None:
        kwargs["ca_certs"] = str(cfg.ca_certs)
    return Elasticsearch(list(cfg.hosts), **kwargs)


def _days(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 86400}d" if whole % 86400 == 0 else f"{whole}s"


def lifecycle_policy(retention: float) -> dict[str, Any]:
    """The ILM policy for posts (the ``policy`` of ``ilm.put_lifecycle``). An index's age counts
    from the first of its month (read from its name), so it is deleted a month after
    ``retention``: by then its newest post is ``retention`` old."""
    return {
        "phases": {
            "hot": {"min_age": "0ms", "actions": {}},
            "delete": {"min_age": _days(retention + MONTH), "actions": {"delete": {}}},
        },
        "_meta": {"managed_by": "yujing", "retention": _days(retention)},
    }


def _template(patterns: list[str], template: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "index_patterns": patterns,
        "template": template,
        "priority": TEMPLATE_PRIORITY,
        "version": TEMPLATE_VERSION,
        "meta": {"managed_by": "yujing"},
        **extra,
    }


def index_templates(prefix: str, retention: float | None = None) -> dict[str, dict[str, Any]]:
    """Template name -> body for ``put_index_template``: the Document classes' own mappings."""
    posts = PostDoc._index.to_dict()
    if retention is not None:
        posts["settings"] = {
            **posts["settings"],
            "index.lifecycle.name": policy_name(prefix),
            "index.lifecycle.parse_origination_date": True,
        }
    events = AlertDoc._index.to_dict()
    events["mappings"] = {
        **events["mappings"],
        "properties": {
            "@timestamp": {"type": "date"},
            "alert_id": {"type": "keyword"},
            **events["mappings"]["properties"],
        },
    }
    return {
        # The month indices only: an index named like the old single one is not theirs.
        f"{prefix}-posts": _template([f"{prefix}-posts-*"], posts),
        alerts_index(prefix): _template([f"{alerts_index(prefix)}*"], AlertDoc._index.to_dict()),
        alert_events_stream(prefix): _template(
            [f"{alert_events_stream(prefix)}*"], events, data_stream={}
        ),
    }


def install_templates(client: Elasticsearch, prefix: str, retention: float | None = None) -> None:
    """Create or replace the posts' ILM policy (with ``retention``) and the index templates.
    Idempotent; the policy goes first, as the posts template names it."""
    if retention is not None:
        client.ilm.put_lifecycle(name=policy_name(prefix), policy=lifecycle_policy(retention))
    for name, body in index_templates(prefix, retention).items():
        client.indices.put_index_template(name=name, **body)


class PostIndexer:
    """Copies committed posts to the month indices in order, resuming from a durable cursor."""

    def __init__(
        self,
        client: Elasticsearch,
        store: Store,
        prefix: str,
        *,
        names: Mapping[str, str] | None = None,
        retention: float | None = None,
    ):
        self.client = client
        self.store = store
        self.prefix = prefix
        self.names = dict(names or {})  # product and category ids -> names
        self.retention = retention
        self._templates_installed = False

    @property
    def cursor(self) -> int:
        return int(self.store.state.get(CURSOR_KEY, 0))

    @property
    def amended(self) -> int:
        return int(self.store.state.get(AMENDED_KEY, 0))

    def index_pending(self, batch: int = 500) -> int:
        """Index up to ``batch`` posts (or, once they are all in, the amendments of posts
        already indexed); returns how many. Raises when the cluster refuses.

        The cursor moves only after the bulk succeeded, so a failure means the same posts are
        sent again later; the post id is the document id, so resending never duplicates.
        """
        rows, amendments = self._pending(batch)
        if rows or amendments:
            self._send(rows, self._amending(amendments))
            self._moved(rows, amendments)
        return len(rows) + len(amendments)

    async def index_pending_async(self, batch: int = 500) -> int:
        """Like ``index_pending``; the HTTP request runs in a worker thread, the store stays here."""
        rows, amendments = self._pending(batch)
        if rows or amendments:
            await asyncio.to_thread(self._send, rows, self._amending(amendments))
            self._moved(rows, amendments)
        return len(rows) + len(amendments)

    def _pending(self, batch: int) -> tuple[list[tuple[int, dict[str, Any]]], list[Any]]:
        rows = self.store.posts.after(self.cursor, limit=batch)
        if rows:  # new posts first: they go in as they read now, amended or not
            return rows, []
        return rows, self.store.posts.amendments_after(self.amended, limit=batch)

    def _moved(self, rows: list[tuple[int, dict[str, Any]]], amendments: list[Any]) -> None:
        if rows:
            self.store.state.set(CURSOR_KEY, rows[-1][0])
        if amendments:
            self.store.state.set(AMENDED_KEY, amendments[-1][0])

    def _amending(self, amendments: list[Any]) -> list[dict[str, Any]]:
        """Bulk actions that bring indexed posts up to date with their amendments: the richer
        record in place of the poorer one (moved if its month changed), a merged record's
        document deleted. Posts not indexed yet go in as they read now: nothing to amend."""
        actions: list[dict[str, Any]] = []
        for _, rowid, was, now in amendments:
            if rowid > self.cursor:
                continue
            old_index = posts_index(self.prefix, was["published_at"])
            current = None if "merged_into" in now else self.store.posts.get(was["id"])
            if current is not None:
                index = posts_index(self.prefix, current["published_at"])
                doc = PostDoc.from_post(current, index, self.names)
                actions.append(doc.to_dict(include_meta=True))
                if index == old_index:
                    continue
            actions.append({"_op_type": "delete", "_index": old_index, "_id": was["id"]})
        return actions

    def _send(
        self, rows: list[tuple[int, dict[str, Any]]], amending: Sequence[dict[str, Any]] = ()
    ) -> None:
        if not self._templates_installed:
            # Before the first write creates the index, or it would get dynamic mappings.
            install_templates(self.client, self.prefix, self.retention)
            self._templates_installed = True
        actions = [
            PostDoc.from_post(
                doc, posts_index(self.prefix, doc["published_at"]), self.names
            ).to_dict(include_meta=True)
            for _, doc in rows
        ] + list(amending)
        if not actions:
            return
        ok, errors = bulk(self.client, actions, chunk_size=len(actions), raise_on_error=False)
        transient = [e for e in errors if _item_status(e) in RETRYABLE or _item_status(e) >= 500]
        if transient:
            raise BulkRetry(
                f"{len(transient)} of {len(actions)} posts refused for now "
                f"(HTTP {_item_status(transient[0])}); the batch is sent again later"
            )
        for error in errors:
            if "delete" in error and _item_status(error) == 404:
                continue  # already gone: what the delete wanted
            # A document the cluster will never take (a mapping conflict, say) must not block
            # every post after it: it is logged and skipped; the post stays in the local store.
            item = next(iter(error.values()))
            log.warning("post %s not indexed: %s", item.get("_id"), item.get("error"))
        log.debug("indexed %d posts into %s", ok, posts_pattern(self.prefix))


RETRYABLE = {408, 429}


class BulkRetry(Exception):
    """Some documents of a bulk were refused for a reason that passes (overload, shard down)."""


def _item_status(error: dict[str, Any]) -> int:
    item = next(iter(error.values()), {})
    return int(item.get("status", 0))
