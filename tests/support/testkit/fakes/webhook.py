"""A local endpoint for yujing's JSON webhooks that checks them as the README tells users to:
the timestamp is recent and ``X-Yujing-Signature`` is ``sha256=`` HMAC-SHA256(secret,
``<X-Yujing-Timestamp>.<raw body>``). A bad or stale signature gets 401; ``busy()`` makes the
next calls answer 429 with Retry-After; a delivery id seen before is acknowledged, not kept twice.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from ._http import FakeServer, Recorded, Response

__all__ = ["FakeWebhookEndpoint"]


class FakeWebhookEndpoint(FakeServer):
    def __init__(self, secret: str, tolerance: float = 300, clock: Callable[[], float] = time.time):
        super().__init__()
        self.secret = secret
        self.tolerance = tolerance
        self.clock = clock
        self.received: list[dict[str, Any]] = []  # kept: one per delivery id
        self.accepted: list[dict[str, Any]] = []  # every signed body taken, copies included
        self.seen: set[str] = set()
        self._busy = 0
        self._retry_after = 1

    @property
    def url(self) -> str:
        return self.base + "/hooks/yujing"

    def busy(self, times: int = 1, retry_after: int = 1) -> None:
        self._busy, self._retry_after = times, retry_after

    def verified(self, request: Recorded) -> bool:
        timestamp = request.headers.get("x-yujing-timestamp", "")
        given = request.headers.get("x-yujing-signature", "")
        if not timestamp.isdigit() or abs(self.clock() - int(timestamp)) > self.tolerance:
            return False
        mac = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + request.raw, hashlib.sha256
        )
        return hmac.compare_digest("sha256=" + mac.hexdigest(), given)

    def rate_limited(self, request: Recorded) -> Response:
        return Response(429, {"error": "busy"}, {"Retry-After": str(self._retry_after)})

    def handle(self, request: Recorded) -> Response:
        if request.method != "POST" or request.path != "/hooks/yujing":
            return Response(404, {"error": "not found"})
        if self._busy > 0:
            self._busy -= 1
            return self.rate_limited(request)
        if not self.verified(request):
            return Response(401, {"error": "bad signature"})
        self.accepted.append(request.body)
        delivery = request.headers.get("x-yujing-delivery", "")
        if delivery not in self.seen:
            self.seen.add(delivery)
            self.received.append(request.body)
        return Response(204)
