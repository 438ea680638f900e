"""A local stand-in for a Feishu/Lark custom bot, answering as
https://open.feishu.cn/open-apis/bot/v2/hook/<token> does.

``{"code": 0, "msg": "success", "data": {}}`` when sent; an unknown hook gets 19001; with a
secret set (签名校验), a missing or wrong ``sign`` or a ``timestamp`` more than an hour off gets
19021 "sign match fail or timestamp is not within one hour from current time"; with
``keywords``, a message without one gets 19024; over 5 a second or ``per_minute`` a minute gets
9499 "too many request"; a body that is not JSON gets HTTP 400 with 9499 "Bad Request".
"""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Callable, Sequence
from typing import Any

from ._http import FakeServer, Recorded, Response
from ._robots import SendCounter

__all__ = ["FakeFeishu", "HOOK"]

HOOK = "5c1b2a9e-3f4d-4e5f-8a9b-0c1d2e3f4a5b"


class FakeFeishu(FakeServer):
    def __init__(
        self,
        hook: str = HOOK,
        secret: str | None = None,
        keywords: Sequence[str] = (),
        per_minute: int = 100,
        clock: Callable[[], float] = time.time,
    ):
        super().__init__()
        self.hook = hook
        self.secret = secret
        self.keywords = tuple(keywords)
        self.clock = clock
        self.per_second = SendCounter(5, 1.0, clock)
        self.per_minute = SendCounter(per_minute, 60.0, clock)
        self.messages: list[dict[str, Any]] = []

    @property
    def webhook(self) -> str:
        return f"{self.base}/open-apis/bot/v2/hook/{self.hook}"

    def _signed(self, body: dict[str, Any]) -> bool:
        timestamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
        if not timestamp.isdigit() or not sign:
            return False
        if abs(self.clock() - int(timestamp)) > 3600:
            return False
        # string_to_sign = timestamp + "\n" + secret is the HMAC-SHA256 KEY; the data is empty.
        mac = hmac.new((timestamp + "\n" + self.secret).encode(), b"", "sha256")
        return hmac.compare_digest(base64.b64encode(mac.digest()).decode(), sign)

    def rate_limited(self, request: Recorded) -> Response:
        return Response(200, {"code": 9499, "msg": "too many request", "data": {}})

    def handle(self, request: Recorded) -> Response:
        prefix = "/open-apis/bot/v2/hook/"
        if not request.path.startswith(prefix) or request.method != "POST":
            return Response(404, "404 page not found", {"Content-Type": "text/plain"})
        if request.path.removeprefix(prefix) != self.hook:
            return Response(
                200,
                {
                    "code": 19001,
                    "msg": "param invalid: incoming webhook access token invalid",
                    "data": {},
                },
            )
        body = request.body
        if not isinstance(body, dict):
            return Response(400, {"code": 9499, "msg": "Bad Request", "data": {}})
        if self.secret and not self._signed(body):
            return Response(
                200,
                {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                    "data": {},
                },
            )
        if body.get("msg_type") == "interactive" and not isinstance(body.get("card"), dict):
            return Response(
                200, {"code": 19002, "msg": "params error, card is required", "data": {}}
            )
        if self.keywords and not any(
            k in str(body.get("card") or body.get("content")) for k in self.keywords
        ):
            return Response(200, {"code": 19024, "msg": "Key Words Not Found", "data": {}})
        if self.per_second.over() or self.per_minute.over():
            return self.rate_limited(request)
        self.messages.append(body)
        return Response(200, {"code": 0, "msg": "success", "data": {}})
