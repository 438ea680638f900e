"""Posts and alerts in Elasticsearch, through the official client and its DSL.

Index names are ``<prefix>-posts`` and ``<prefix>-alerts``. Composable index templates carry the
mappings, so an index created by the first write (or by a rollover someone adds later) gets them,
and Kibana reads the fields as they are: text with keyword subfields, dates as dates.
"""

from __future__ import annotations

import asyncio
import logging
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
)
from elasticsearch.helpers import bulk

from yujing.alerts import Severity
from yujing.config import Elasticsearch as ElasticsearchConfig
from yujing.store import Store

__all__ = [
    "PostDoc",
    "AlertDoc",
    "make_client",
    "posts_index",
    "alerts_index",
    "index_templates",
    "install_templates",
    "PostIndexer",
    "CURSOR_KEY",
]

log = logging.getLogger("yujing.elastic")

CURSOR_KEY = "es.posts.cursor"
TEMPLATE_PRIORITY = 200  # above Elastic's built-in templates (100), in case a pattern overlaps
TEMPLATE_VERSION = 1


def _chinese_text() -> Text:
    # The standard analyzer splits CJK into single characters: crude, but phrase queries
    # ("理赔难") work and no plugin is needed. The keyword subfield serves aggregations.
    return Text(analyzer="standard", fields={"keyword": Keyword(ignore_above=256)})


class PostDoc(Document):
    source = Keyword()
    url = Keyword()
    author = Keyword()  # salted hash, never the raw name
    text_id = Keyword()  # copy group: the posts of one (nearly) identical text share it
    title = _chinese_text()
    text = Text(analyzer="standard")
    published_at = Date()
    fetched_at = Date()
    products = Keyword(multi=True)
    categories = Keyword(multi=True)
    sentiment = Float()
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
        name = "yujing-posts"
        settings = {"number_of_shards": 1}

    @classmethod
    def from_post(cls, doc: dict[str, Any], index: str) -> PostDoc:
        """From a stored post (``ScoredPost.to_dict()``); the post id is the document id."""
        reach = {k: v for k, v in (doc.get("reach") or {}).items() if v is not None}
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
            products=list(doc.get("products") or []),
            categories=list(doc.get("categories") or []),
            sentiment=doc.get("sentiment"),
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
    category = Keyword()
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
    labels = Object()

    class Meta:
        # Labels are free-form; keep each one a keyword so it can be filtered and counted.
        dynamic_templates = MetaField(
            [{"labels_as_keywords": {"path_match": "labels.*", "mapping": {"type": "keyword"}}}]
        )

    class Index:
        name = "yujing-alerts"
        settings = {"number_of_shards": 1}

    @classmethod
    def from_event(cls, event: dict[str, Any], index: str) -> AlertDoc:
        """One document per alert wave: the alert id is the document id, so updates overwrite."""
        fields = {k: v for k, v in event.items() if k in cls._doc_type.mapping}
        fields["severity_rank"] = Severity(event["severity"]).rank
        return cls(meta={"id": event["id"], "index": index}, **fields)


def posts_index(prefix: str) -> str:
    return f"{prefix}-posts"


def alerts_index(prefix: str) -> str:
    return f"{prefix}-alerts"


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


def index_templates(prefix: str) -> dict[str, dict[str, Any]]:
    """Template name -> body for ``put_index_template``: the Document classes' own mappings."""
    out = {}
    for doc, index in ((PostDoc, posts_index(prefix)), (AlertDoc, alerts_index(prefix))):
        out[index] = {
            "index_patterns": [f"{index}*"],
            "template": doc._index.to_dict(),
            "priority": TEMPLATE_PRIORITY,
            "version": TEMPLATE_VERSION,
            "meta": {"managed_by": "yujing"},
        }
    return out


def install_templates(client: Elasticsearch, prefix: str) -> None:
    """Create or replace both index templates (idempotent)."""
    for name, body in index_templates(prefix).items():
        client.indices.put_index_template(name=name, **body)


class PostIndexer:
    """Copies committed posts to ``<prefix>-posts`` in order, resuming from a durable cursor."""

    def __init__(self, client: Elasticsearch, store: Store, prefix: str):
        self.client = client
        self.store = store
        self.prefix = prefix
        self.index = posts_index(prefix)
        self._templates_installed = False

    @property
    def cursor(self) -> int:
        return int(self.store.state.get(CURSOR_KEY, 0))

    def index_pending(self, batch: int = 500) -> int:
        """Index up to ``batch`` posts; returns how many. Raises when the cluster refuses.

        The cursor moves only after the bulk succeeded, so a failure means the same posts are
        sent again later; the post id is the document id, so resending never duplicates.
        """
        rows = self.store.posts.after(self.cursor, limit=batch)
        if rows:
            self._send(rows)
            self.store.state.set(CURSOR_KEY, rows[-1][0])
        return len(rows)

    async def index_pending_async(self, batch: int = 500) -> int:
        """Like ``index_pending``; the HTTP request runs in a worker thread, the store stays here."""
        rows = self.store.posts.after(self.cursor, limit=batch)
        if rows:
            await asyncio.to_thread(self._send, rows)
            self.store.state.set(CURSOR_KEY, rows[-1][0])
        return len(rows)

    def _send(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        if not self._templates_installed:
            # Before the first write creates the index, or it would get dynamic mappings.
            install_templates(self.client, self.prefix)
            self._templates_installed = True
        actions = [PostDoc.from_post(doc, self.index).to_dict(include_meta=True) for _, doc in rows]
        ok, errors = bulk(self.client, actions, chunk_size=len(actions), raise_on_error=False)
        transient = [e for e in errors if _item_status(e) in RETRYABLE or _item_status(e) >= 500]
        if transient:
            raise BulkRetry(
                f"{len(transient)} of {len(actions)} posts refused for now "
                f"(HTTP {_item_status(transient[0])}); the batch is sent again later"
            )
        for error in errors:
            # A document the cluster will never take (a mapping conflict, say) must not block
            # every post after it: it is logged and skipped; the post stays in the local store.
            item = next(iter(error.values()))
            log.warning("post %s not indexed: %s", item.get("_id"), item.get("error"))
        log.debug("indexed %d posts into %s", ok, self.index)


RETRYABLE = {408, 429}


class BulkRetry(Exception):
    """Some documents of a bulk were refused for a reason that passes (overload, shard down)."""


def _item_status(error: dict[str, Any]) -> int:
    item = next(iter(error.values()), {})
    return int(item.get("status", 0))
