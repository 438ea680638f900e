"""Alerts into the ``<prefix>-alerts`` index, through the official client and its DSL."""

from __future__ import annotations

from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from yujing import config as cfg

from ..elastic import AlertDoc, alerts_index, install_templates, make_client
from ..notification import Notification
from . import ReceiverContext

__all__ = ["ElasticsearchAlertReceiver"]


class ElasticsearchAlertReceiver:
    """Indexes each alert of a notification into ``<prefix>-alerts``, one document per alert
    (the alert id is the document id), in one bulk request. A handling action changes no
    alert document: it is in the store (``yujing status``) and the audit journal."""

    def __init__(self, conf: cfg.ElasticsearchReceiver, client: Elasticsearch, prefix: str):
        self.conf = conf
        self.client = client
        self.prefix = prefix
        self.index = alerts_index(prefix)
        self._templates_installed = False

    def close(self) -> None:
        self.client.close()

    @classmethod
    def from_config(
        cls, conf: cfg.ElasticsearchReceiver, context: ReceiverContext
    ) -> ElasticsearchAlertReceiver:
        es = context.config.elasticsearch
        assert es is not None  # the config refuses an elasticsearch receiver without it
        return cls(conf, context.es_client or make_client(es), es.index_prefix)

    def send(self, notification: Notification) -> None:
        if notification.handling is not None:
            return
        if not self._templates_installed:
            install_templates(self.client, self.prefix)  # before the first write creates the index
            self._templates_installed = True
        # Through _bulk like the posts: one request shape for both, and per-item errors raise.
        docs = [
            AlertDoc.from_event(e.to_dict(), self.index).to_dict(include_meta=True)
            for e in notification.events
        ]
        bulk(self.client, docs, raise_on_error=True)
