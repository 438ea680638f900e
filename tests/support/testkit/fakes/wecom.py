"""A local stand-in for a WeCom (企业微信) group robot, answering as
https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=... does.

HTTP 200 always, with ``{"errcode": 0, "errmsg": "ok"}`` when sent; an unknown key gets 93000
"invalid webhook url"; more than ``per_minute`` messages in a minute get 45009 "api freq out of
limit"; markdown content over 4096 bytes gets 40058.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ._http import FakeServer, Recorded, Response
from ._robots import SendCounter

__all__ = ["FakeWeCom", "KEY"]

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


class FakeWeCom(FakeServer):
    def __init__(
        self, key: str = KEY, per_minute: int = 20, clock: Callable[[], float] = time.time
    ):
        super().__init__()
        self.key = key
        self.counter = SendCounter(per_minute, 60.0, clock)
        self.messages: list[dict[str, Any]] = []

    @property
    def webhook(self) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={self.key}"

    def rate_limited(self, request: Recorded) -> Response:
        return Response(200, {"errcode": 45009, "errmsg": "api freq out of limit"})

    def handle(self, request: Recorded) -> Response:
        if request.path != "/cgi-bin/webhook/send" or request.method != "POST":
            return Response(404, {"errcode": 404, "errmsg": "not found"})
        if request.query.get("key") != self.key:
            return Response(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [..]"})
        body = request.body
        if not isinstance(body, dict) or "msgtype" not in body:
            return Response(200, {"errcode": 40008, "errmsg": "invalid message type"})
        if body["msgtype"] == "markdown":
            content = (body.get("markdown") or {}).get("content")
            if not content:
                return Response(200, {"errcode": 41009, "errmsg": "missing markdown content"})
            if len(content.encode("utf-8")) > 4096:
                return Response(
                    200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
                )
        if self.counter.over():
            return self.rate_limited(request)
        self.messages.append(body)
        return Response(200, {"errcode": 0, "errmsg": "ok"})
