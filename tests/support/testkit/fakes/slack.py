"""A local stand-in for Slack's Web API, answering as https://slack.com/api/ does.

Usage::

    with FakeSlack(token="xoxb-test") as slack:
        WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(...)
        slack.messages()  # arguments of the accepted chat.postMessage calls
        slack.requests  # every request: .path, .headers (any case), .body (decoded)

Like Slack, a bad token gets HTTP 200 with ``{"ok": false, "error": "invalid_auth"}``;
``rate_limit()`` makes the next calls answer 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
from typing import Any

from ._http import FakeServer, Headers, Recorded, Response, decode_body

__all__ = ["FakeSlack", "DEFAULT_TOKEN"]

DEFAULT_TOKEN = "xoxb-1111-2222-fake"
JSON = "application/json; charset=utf-8"


class FakeSlack(FakeServer):
    def __init__(self, token: str = DEFAULT_TOKEN, channel_id: str = "C123"):
        super().__init__()
        self.token = token
        self.channel_id = channel_id
        self._rate_limited = 0
        self._retry_after = 1
        self._ts = 100
        self.posted: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        """Where the server listens; Slack's Web API is under ``/api/``."""
        return self.base

    @property
    def api_url(self) -> str:
        """The ``base_url`` for slack_sdk's WebClient (or a slack receiver's ``base_url``)."""
        return self.base + "/api/"

    def rate_limit(self, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls with 429 ratelimited and this Retry-After."""
        self._rate_limited = times
        self._retry_after = retry_after

    # -- what was asked

    def decode(self, raw: bytes, headers: Headers, query: dict[str, str]) -> Any:
        """The call's arguments, sent as JSON or as a form; blocks decoded either way."""
        body = decode_body(raw, headers.get("content-type", ""))
        params: dict[str, Any] = {**query, **(body if isinstance(body, dict) else {})}
        for key in ("blocks", "attachments"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    def messages(self) -> list[dict[str, Any]]:
        """Arguments of each chat.postMessage that Slack accepted, in order."""
        return list(self.posted)

    # -- answering

    def handle(self, request: Recorded) -> Response:
        if request.method != "POST" or not request.path.startswith("/api/"):
            return Response(404, {"ok": False, "error": "unknown_method"})
        if self._rate_limited > 0:
            self._rate_limited -= 1
            return Response(
                429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(self._retry_after)},
            )
        auth = request.headers.get("authorization", "")
        if not auth:
            return Response(200, {"ok": False, "error": "not_authed"})
        if auth != f"Bearer {self.token}":
            return Response(200, {"ok": False, "error": "invalid_auth"})
        method = request.path.removeprefix("/api/")
        if method == "auth.test":
            return Response(200, {"ok": True, "team": "fake", "user": "yujing", "bot_id": "B123"})
        if method != "chat.postMessage":
            return Response(200, {"ok": False, "error": "unknown_method"})
        params = request.body
        if not params.get("channel"):
            return Response(200, {"ok": False, "error": "channel_not_found"})
        if not params.get("text") and not params.get("blocks"):
            return Response(200, {"ok": False, "error": "no_text"})
        self.posted.append(params)
        ts = f"1700000000.{self._ts:06d}"
        self._ts += 1
        message = {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B123",
            "text": params.get("text", ""),
            "ts": ts,
        }
        if params.get("blocks"):
            message["blocks"] = params["blocks"]
        return Response(200, {"ok": True, "channel": self.channel_id, "ts": ts, "message": message})

    def default_headers(self, request: Recorded) -> dict[str, str]:
        return {"Content-Type": JSON}
