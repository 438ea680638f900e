"""Alerts as JSON to any HTTP endpoint, signed so the endpoint can tell they are ours.

Headers: ``X-Yujing-Timestamp`` (Unix seconds), ``X-Yujing-Signature: sha256=<hex>``, the
HMAC-SHA256 keyed with the receiver's secret over ``<timestamp>.<raw body>``, and
``X-Yujing-Delivery``, the same on every try of one notification (the endpoint may drop copies
by it).
2xx is delivered; 429 and 503 are retried after their Retry-After; 401 and 403 say the secret
does not match. The README shows how an endpoint checks the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any

from yujing import config as cfg

from ..notification import Notification
from ..render import PLAIN, SHANGHAI, notification_view, template_for
from . import ReceiverContext, Refused, RetryLater, delivery_id
from ._http import TIMEOUT, post_json, retry_after

__all__ = ["WebhookReceiver", "signature", "PAYLOAD_VERSION"]

PAYLOAD_VERSION = 2  # 2: a notification carries a group's alerts (1 carried one alert)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookReceiver:
    def __init__(
        self,
        conf: cfg.WebhookReceiver,
        *,
        tz: tzinfo = SHANGHAI,
        names: Mapping[str, str] | None = None,
        timeout: float = TIMEOUT,
        clock: Callable[[], float] = time.time,
    ):
        self.conf = conf
        self.tz = tz
        self.names = dict(names or {})
        self.timeout = timeout  # seconds to wait for the service's answer
        self.clock = clock
        self.template = template_for(conf, "text.txt.j2", PLAIN)
        self.what = f"webhook receiver {conf.name!r}"

    @classmethod
    def from_config(cls, conf: cfg.WebhookReceiver, context: ReceiverContext) -> WebhookReceiver:
        return cls(conf, tz=context.tz, names=context.names)

    def payload(self, notification: Notification) -> dict[str, Any]:
        f = notification_view(notification, tz=self.tz, names=self.names).fields()
        return {
            "version": PAYLOAD_VERSION,
            "delivery": delivery_id(notification),
            "title": f["title"],
            "text": self.template.render(f),
            "fields": f,  # what the templates get: names, local times, http(s) links only
            # The notification as the outbox keeps it: the group, and each alert's latest event.
            "notification": notification.to_dict(),
        }

    def send(self, notification: Notification) -> None:
        payload = self.payload(notification)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(self.clock()))
        headers = {
            "User-Agent": "yujing",
            "X-Yujing-Timestamp": timestamp,
            "X-Yujing-Signature": signature(self.conf.secret, timestamp, body),
            "X-Yujing-Delivery": payload["delivery"],
        }
        reply = post_json(
            self.conf.url, None, body=body, headers=headers, what=self.what, timeout=self.timeout
        )
        if 200 <= reply.status < 300:
            return
        if reply.status in (429, 503):
            raise RetryLater(
                f"{self.what}: HTTP {reply.status}, try later", retry_after(reply.headers, 60.0)
            )
        if reply.status in (401, 403):
            raise Refused(
                f"{self.what}: HTTP {reply.status}: the endpoint refused the signature; its secret "
                "must be the receiver's secret, and this host's clock must be right"
            )
        raise RuntimeError(f"{self.what}: HTTP {reply.status}: {reply.text[:200]}")
