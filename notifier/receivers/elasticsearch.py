"""Alerts into Elasticsearch, through the official client: the current state of each alert in
``<prefix>-alerts`` and every event as a document of its own in ``<prefix>-alert-events``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from yujing import config as cfg
from yujing.alerts import AlertEvent

from ..elastic import (
    AlertDoc,
    alert_event_doc,
    alert_events_stream,
    alerts_index,
    install_templates,
    make_client,
)
from . import ReceiverContext, delivery_id

__all__ = ["ElasticsearchAlertReceiver", "EventRefused"]


class EventRefused(Exception):
    """The cluster refused the alert's documents; the dispatcher sends the event again."""


class ElasticsearchAlertReceiver:
    """One bulk per event: the alert's document updated in place (the alert id is its id) and
    the event created in the data stream under the event's delivery id, so an event sent again
    after an uncertain try is refused as a duplicate (409) instead of stored twice."""

    def __init__(
        self,
        conf: cfg.ElasticsearchReceiver,
        client: Elasticsearch,
        prefix: str,
        *,
        names: Mapping[str, str] | None = None,
        retention: float | None = None,
    ):
        self.conf = conf
        self.client = client
        self.prefix = prefix
        self.names = dict(names or {})  # product and category ids -> names
        self.retention = retention
        self.index = alerts_index(prefix)
        self.stream = alert_events_stream(prefix)
        self._templates_installed = False

    def close(self) -> None:
        self.client.close()

    @classmethod
    def from_config(
        cls, conf: cfg.ElasticsearchReceiver, context: ReceiverContext
    ) -> ElasticsearchAlertReceiver:
        es = context.config.elasticsearch
        assert es is not None  # the config refuses an elasticsearch receiver without it
        names = {c.id: c.name for c in context.config.categories} | dict(context.names)
        return cls(
            conf,
            context.es_client or make_client(es),
            es.index_prefix,
            names=names,
            retention=es.retention,
        )

    def send(self, event: AlertEvent) -> None:
        if not self._templates_installed:
            # Before the first write creates an index or the data stream, or they would get
            # dynamic mappings.
            install_templates(self.client, self.prefix, self.retention)
            self._templates_installed = True
        data = event.to_dict()
        # skip_empty=False: a field that went empty (no samples any more) is emptied in place.
        state = AlertDoc.from_event(data, self.index, self.names).to_dict(skip_empty=False)
        actions: list[dict[str, Any]] = [
            {
                "_op_type": "update",
                "_index": self.index,
                "_id": event.id,
                "doc": state,
                "doc_as_upsert": True,  # handling added to the document by others stays
            },
            {
                "_op_type": "create",  # a data stream takes nothing else
                "_index": self.stream,
                "_id": delivery_id(event),
                "_source": alert_event_doc(data, self.names),
            },
        ]
        _, errors = bulk(self.client, actions, raise_on_error=False)
        refused = [e for e in errors if not _already_there(e)]
        if refused:
            item = next(iter(refused[0].values()))
            raise EventRefused(
                f"alert {event.id}: {len(refused)} document(s) refused by Elasticsearch "
                f"(HTTP {item.get('status')}): {item.get('error')}"
            )


def _already_there(error: dict[str, Any]) -> bool:
    """The event's document exists: an earlier try stored it before its answer was lost."""
    op, item = next(iter(error.items()))
    return op == "create" and int(item.get("status", 0)) == 409
