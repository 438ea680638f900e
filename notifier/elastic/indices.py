"""Where posts and alerts go: one index of posts per month, the alerts index, the alert events'
data stream, their composable templates and the posts' ILM policy."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from yujing.records import parse_time

from .documents import AlertDoc, PostDoc

__all__ = [
    "posts_index",
    "posts_pattern",
    "alerts_index",
    "alert_events_stream",
    "policy_name",
    "lifecycle_policy",
    "index_templates",
    "install_templates",
    "TEMPLATE_VERSION",
]

TEMPLATE_PRIORITY = 200  # above Elastic's built-in templates (100), in case a pattern overlaps
TEMPLATE_VERSION = 4  # 3: handling and assignee on alerts; 4: false_alarm
MONTH = 31 * 86400  # the longest a month's index keeps taking posts


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
