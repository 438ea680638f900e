"""The documents Kibana reads: posts and alerts, mapped through the client's DSL so Chinese text is
searchable by words (bigrams), by single characters (``.chars``) and exactly (``.keyword``), names
stand beside ids and dates are dates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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

from yujing.alerts import Severity

__all__ = ["PostDoc", "AlertDoc", "alert_event_doc", "sentiment_label", "ZH_ANALYZER"]


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
