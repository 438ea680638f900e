"""Where alert events go. Each receiver's ``send(event)`` delivers one event or raises.

The dispatcher retries what raises, so a receiver never retries or sleeps itself; one that knows
when to try again (Slack's rate limit) raises ``RetryLater``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, Protocol

from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from yujing import config as cfg
from yujing.config import Config

from .elastic import AlertDoc, alerts_index, install_templates, make_client
from .format import SHANGHAI, one_line, render

__all__ = [
    "Receiver",
    "RetryLater",
    "LogReceiver",
    "FileReceiver",
    "SlackReceiver",
    "ElasticsearchAlertReceiver",
    "build_receivers",
]

ALERT_LOG = logging.getLogger("yujing.alerts")


class Receiver(Protocol):
    def send(self, event: dict[str, Any]) -> None: ...


class RetryLater(Exception):
    """Delivery refused for now; the service said when to try again."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class LogReceiver:
    def __init__(self, conf: cfg.LogReceiver, *, names: Mapping[str, str] | None = None):
        self.conf = conf
        self.names = dict(names or {})

    def send(self, event: dict[str, Any]) -> None:
        level = logging.INFO if event.get("event") == "resolved" else logging.WARNING
        ALERT_LOG.log(level, "%s [%s]", one_line(event, self.names), event.get("id", ""))


class FileReceiver:
    """Appends one JSON line per event: a journal that survives the process and greps well."""

    def __init__(self, conf: cfg.FileReceiver):
        self.conf = conf
        self.path = conf.path

    def send(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())  # delivered means on disk, not in a buffer


class SlackReceiver:
    def __init__(
        self,
        conf: cfg.SlackReceiver,
        *,
        tz: tzinfo = SHANGHAI,
        names: Mapping[str, str] | None = None,
        timeout: int = 10,
    ):
        self.conf = conf
        self.tz = tz
        self.names = dict(names or {})
        base_url = conf.base_url or WebClient.BASE_URL
        # slack_sdk joins method names onto base_url, which therefore must end with "/".
        self.client = WebClient(
            token=conf.token, base_url=base_url.rstrip("/") + "/", timeout=timeout
        )

    def send(self, event: dict[str, Any]) -> None:
        message = render(event, tz=self.tz, names=self.names)
        try:
            self.client.chat_postMessage(
                channel=self.conf.channel, text=message.text, blocks=message.blocks
            )
        except SlackApiError as exc:
            if exc.response.get("error") == "ratelimited" or exc.response.status_code == 429:
                raise RetryLater(
                    f"slack rate limited {self.conf.channel}", _retry_after(exc.response.headers)
                ) from exc
            raise


def _retry_after(headers: Mapping[str, Any]) -> float:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(1.0, float(value))
            except (TypeError, ValueError):
                break
    return 60.0  # Slack always sends the header; if not, a minute is its usual window


class ElasticsearchAlertReceiver:
    """Indexes each alert into ``<prefix>-alerts``; the alert id is the document id."""

    def __init__(self, conf: cfg.ElasticsearchReceiver, client: Elasticsearch, prefix: str):
        self.conf = conf
        self.client = client
        self.prefix = prefix
        self.index = alerts_index(prefix)
        self._templates_installed = False

    def close(self) -> None:
        self.client.close()

    def send(self, event: dict[str, Any]) -> None:
        if not self._templates_installed:
            install_templates(self.client, self.prefix)  # before the first write creates the index
            self._templates_installed = True
        # Through _bulk like the posts: one request shape for both, and per-item errors raise.
        doc = AlertDoc.from_event(event, self.index).to_dict(include_meta=True)
        bulk(self.client, [doc], raise_on_error=True)


def build_receivers(
    config: Config, *, es_client: Elasticsearch | None = None
) -> dict[str, Receiver]:
    """One receiver per ``notify.receivers`` entry, by name."""
    names = {p.id: p.name for p in config.products}
    out: dict[str, Receiver] = {}
    for conf in config.notify.receivers:
        if isinstance(conf, cfg.LogReceiver):
            out[conf.name] = LogReceiver(conf, names=names)
        elif isinstance(conf, cfg.FileReceiver):
            out[conf.name] = FileReceiver(conf)
        elif isinstance(conf, cfg.SlackReceiver):
            out[conf.name] = SlackReceiver(conf, tz=config.tz, names=names)
        elif isinstance(conf, cfg.ElasticsearchReceiver):
            es = config.elasticsearch
            assert es is not None  # the config refuses an elasticsearch receiver without it
            es_client = es_client or make_client(es)
            out[conf.name] = ElasticsearchAlertReceiver(conf, es_client, es.index_prefix)
    return out
