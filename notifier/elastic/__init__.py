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

from .client import make_client
from .documents import ZH_ANALYZER, AlertDoc, PostDoc, alert_event_doc, sentiment_label
from .indexer import AMENDED_KEY, CURSOR_KEY, BulkRetry, PostIndexer
from .indices import (
    alert_events_stream,
    alerts_index,
    index_templates,
    install_templates,
    lifecycle_policy,
    policy_name,
    posts_index,
    posts_pattern,
)

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
    "AMENDED_KEY",
    "BulkRetry",
    "ZH_ANALYZER",
]
