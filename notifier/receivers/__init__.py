"""Where notifications go. Each receiver's ``send(notification)`` delivers one notification
(``notifier.notification.Notification``: a group's alerts, or a handling action) or raises.

The dispatcher retries what raises, so a receiver never retries or sleeps itself; one that knows
when to try again (Slack's rate limit) raises ``RetryLater``.

One module per receiver, found through ``REGISTRY`` by the type of its config model and imported
only when a config uses it, so a service's SDK loads only for the receiver that talks to it.
Adding a receiver: its config model in ``yujing.config.notify`` (and the ``Receiver`` union
there), its module here, and a line in ``REGISTRY``.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, Protocol

from yujing import config as cfg
from yujing.alerts import AlertEvent
from yujing.config import Config

from ..notification import Notification

__all__ = [
    "Receiver",
    "RetryLater",
    "Refused",
    "ReceiverContext",
    "REGISTRY",
    "build_receivers",
    "delivery_id",
    "event_delivery_id",
]


class Receiver(Protocol):
    def send(self, notification: Notification) -> None: ...


class RetryLater(Exception):
    """Delivery refused for now; the service said when to try again."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    """The service refused the message and said why (a bad signature, an unknown robot). The
    message names what to fix; until then the dispatcher keeps retrying with backoff."""


@dataclass(frozen=True)
class ReceiverContext:
    """What a receiver may need beside its own config entry."""

    config: Config
    names: Mapping[str, str] = field(default_factory=dict)  # product id -> name
    es_client: Any = None  # a shared Elasticsearch client (tests pass their own)

    @property
    def tz(self) -> tzinfo:
        return self.config.tz


def event_delivery_id(event: AlertEvent) -> str:
    """The same for every try of one alert event, different for every event: where each event
    is kept on its own (Elasticsearch's alert events), a second copy is refused by this id."""
    key = f"{event.id}|{event.event.value}|{event.alert.updated_at.isoformat()}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def delivery_id(notification: Notification) -> str:
    """The same for every try of one notification, different for every notification: a receiver
    that keeps the ids it has seen (a webhook endpoint, a mail server by Message-ID) drops a
    second copy. A notification of one alert's news keeps the id its event alone had."""
    n = notification
    told = [e for e in n.events if e.id in n.changed]
    if len(n.events) == 1 and told and not n.repeat and n.handling is None:
        return event_delivery_id(n.events[0])
    parts = [
        n.group_key,
        *(f"{e.id}|{e.event.value}|{e.alert.updated_at.isoformat()}" for e in n.events),
    ]
    parts.append(f"changed={','.join(sorted(n.changed))}")
    if n.repeat:
        parts.append(f"repeat@{n.at.isoformat() if n.at else ''}")
    if n.handling is not None:
        h = n.handling
        parts.append(f"{h.action.value}|{h.by}|{h.at.isoformat()}|{h.to}|{h.why}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


# Config model -> "module:class"; each class has ``from_config(conf, context)``.
REGISTRY: dict[type, str] = {
    cfg.LogReceiver: "yujing.notifier.receivers.log:LogReceiver",
    cfg.FileReceiver: "yujing.notifier.receivers.file:FileReceiver",
    cfg.SlackReceiver: "yujing.notifier.receivers.slack:SlackReceiver",
    cfg.ElasticsearchReceiver: "yujing.notifier.receivers.elasticsearch:ElasticsearchAlertReceiver",
    cfg.DingTalkReceiver: "yujing.notifier.receivers.dingtalk:DingTalkReceiver",
    cfg.WeComReceiver: "yujing.notifier.receivers.wecom:WeComReceiver",
    cfg.FeishuReceiver: "yujing.notifier.receivers.feishu:FeishuReceiver",
    cfg.EmailReceiver: "yujing.notifier.receivers.email:EmailReceiver",
    cfg.WebhookReceiver: "yujing.notifier.receivers.webhook:WebhookReceiver",
}


def receiver_class(model: type) -> Any:
    module, name = REGISTRY[model].split(":")
    return getattr(importlib.import_module(module), name)


def build_receivers(config: Config, *, es_client: Any = None) -> dict[str, Receiver]:
    """One receiver per ``notify.receivers`` entry, by name."""
    context = ReceiverContext(
        config, names={p.id: p.name for p in config.products}, es_client=es_client
    )
    return {
        conf.name: receiver_class(type(conf)).from_config(conf, context)
        for conf in config.notify.receivers
    }
