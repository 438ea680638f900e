"""A local stand-in for a DingTalk custom robot, answering as https://oapi.dingtalk.com/robot/send.

Usage::

    with FakeDingTalk(secret="SEC...") as ding:
        receiver config: webhook=ding.webhook, secret="SEC..."
        ding.messages  # the JSON bodies DingTalk accepted
        ding.requests  # every request: .query (access_token, timestamp, sign), .body

As DingTalk does, it answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}`` when sent; an unknown
access_token gets 300001; with a secret set (加签), a missing or wrong signature or a timestamp
more than an hour off gets 310000 "sign not match"; with ``keywords`` set, a message without one
gets 310000 "keywords not in content"; more than ``per_minute`` messages in a minute get 130101.
The signature is checked as DingTalk documents it, written out here on its own.
"""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Callable, Sequence
from typing import Any

from ._http import FakeServer, Recorded, Response
from ._robots import SendCounter

__all__ = ["FakeDingTalk", "TOKEN"]

TOKEN = "1f2e3d4c5b6a7988a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"
SIGN_NOT_MATCH = {
    "errcode": 310000,
    "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
}


class FakeDingTalk(FakeServer):
    def __init__(
        self,
        access_token: str = TOKEN,
        secret: str | None = None,
        keywords: Sequence[str] = (),
        per_minute: int = 20,
        clock: Callable[[], float] = time.time,
    ):
        super().__init__()
        self.access_token = access_token
        self.secret = secret
        self.keywords = tuple(keywords)
        self.clock = clock
        self.counter = SendCounter(per_minute, 60.0, clock)
        self.messages: list[dict[str, Any]] = []

    @property
    def webhook(self) -> str:
        return f"{self.base}/robot/send?access_token={self.access_token}"

    def _signed(self, query: dict[str, str]) -> bool:
        timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
        if not timestamp.isdigit() or not sign:
            return False
        if abs(self.clock() * 1000 - int(timestamp)) > 3600 * 1000:
            return False
        # string_to_sign = timestamp + "\n" + secret; HmacSHA256 keyed by the secret; Base64.
        # The query string was URL-decoded on the way in, so ``sign`` is the Base64 itself.
        mac = hmac.new(self.secret.encode(), (timestamp + "\n" + self.secret).encode(), "sha256")
        return hmac.compare_digest(base64.b64encode(mac.digest()).decode(), sign)

    def rate_limited(self, request: Recorded) -> Response:
        return Response(
            200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        )

    def handle(self, request: Recorded) -> Response:
        if request.path != "/robot/send" or request.method != "POST":
            return Response(
                404, "<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"}
            )
        if request.query.get("access_token") != self.access_token:
            return Response(200, {"errcode": 300001, "errmsg": "token is not exist"})
        if self.secret and not self._signed(request.query):
            return Response(200, SIGN_NOT_MATCH)
        body = request.body
        if not isinstance(body, dict) or "msgtype" not in body:
            return Response(200, {"errcode": 40035, "errmsg": "缺少参数 json"})
        content = body.get(body["msgtype"]) or {}
        if body["msgtype"] == "markdown" and not (content.get("title") and content.get("text")):
            return Response(200, {"errcode": 40035, "errmsg": "缺少参数 markdown.title/text"})
        if self.keywords and not any(k in str(content) for k in self.keywords):
            return Response(200, {"errcode": 310000, "errmsg": "keywords not in content"})
        if self.counter.over():
            return self.rate_limited(request)
        self.messages.append(body)
        return Response(200, {"errcode": 0, "errmsg": "ok"})
