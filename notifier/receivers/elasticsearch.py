"""Alerts into Elasticsearch, through the official client: the current state of each alert in
``<prefix>-alerts`` and every event as a document of its own in ``<prefix>-alert-events``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from yujing import config as cfg
from yujing.alerts import Action, AlertEvent, Handling
from yujing.records import format_time

from ..elastic import (
    AlertDoc,
    alert_event_doc,
    alert_events_stream,
    alerts_index,
    install_templates,
    make_client,
)
from ..notification import Notification
from . import ReceiverContext, event_delivery_id

__all__ = ["ElasticsearchAlertReceiver", "EventRefused"]


class EventRefused(Exception):
    """The cluster refused some of the documents; the dispatcher sends the notification again."""


class ElasticsearchAlertReceiver:
    """One bulk per notification. For each of its alerts: the alert's document updated in place
    (the alert id is its id), and the alert's event created in the data stream under the event's
    own delivery id, so an event sent again (after an uncertain try, or in a later notification
    of its group) is refused as a duplicate (409) instead of stored twice. A handling action
    updates the alert's document: ``handling`` holds the latest action, ``assignee`` who has it."""

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

    def send(self, notification: Notification) -> None:
        if not self._templates_installed:
            # Before the first write creates an index or the data stream, or they would get
            # dynamic mappings.
            install_templates(self.client, self.prefix, self.retention)
            self._templates_installed = True
        if notification.handling is not None:
            actions = [self._handling(notification.handling, notification.false_alarm)]
        else:
            actions = [a for e in notification.events for a in self._event(e)]
        _, errors = bulk(self.client, actions, raise_on_error=False)
        refused = [e for e in errors if not _already_there(e)]
        if refused:
            op, item = next(iter(refused[0].items()))
            raise EventRefused(
                f"{len(refused)} document(s) refused by Elasticsearch, the first {op} of "
                f"{item.get('_id')} in {item.get('_index')} "
                f"(HTTP {item.get('status')}): {item.get('error')}"
            )

    def _event(self, event: AlertEvent) -> list[dict[str, Any]]:
        data = event.to_dict()
        # skip_empty=False: a field that went empty (no samples any more) is emptied in place.
        state = AlertDoc.from_event(data, self.index, self.names).to_dict(skip_empty=False)
        return [
            {
                "_op_type": "update",
                "_index": self.index,
                "_id": event.id,
                "doc": state,
                "doc_as_upsert": True,  # the handling written beside the state stays
            },
            {
                "_op_type": "create",  # a data stream takes nothing else
                "_index": self.stream,
                "_id": event_delivery_id(event),
                "_source": alert_event_doc(data, self.names),
            },
        ]

    def _handling(self, h: Handling, false_alarm: str | None = None) -> dict[str, Any]:
        # The dispatcher sends a receiver's notifications in order, so the latest action wins.
        doc: dict[str, Any] = {
            "handling": {
                "action": h.action.value,
                "by": h.by,
                "at": format_time(h.at),
                "why": h.why,
                "to": h.to,
            }
        }
        if h.action is Action.ASSIGN:
            doc["assignee"] = h.to
        if false_alarm is not None:  # what replay counts when thresholds change
            doc["false_alarm"] = {"reason": false_alarm, "by": h.by, "at": format_time(h.at)}
        return {
            "_op_type": "update",
            "_index": self.index,
            "_id": h.alert_id,
            "doc": doc,
            # Never a missing document: actions go only to receivers told of the alert, but a
            # document deleted by hand since must not keep the action retrying for ever.
            "doc_as_upsert": True,
        }


def _already_there(error: dict[str, Any]) -> bool:
    """The event's document exists: an earlier try stored it before its answer was lost."""
    op, item = next(iter(error.items()))
    return op == "create" and int(item.get("status", 0)) == 409
