"""A local stand-in for Slack's Web API and incoming webhooks, answering as Slack does.

Usage::

    with FakeSlack(token="xoxb-test") as slack:
        WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(...)
        slack.messages()  # arguments of the accepted chat.postMessage calls
        slack.channel_messages()  # the channel as it stands: top-level messages, edits applied
        slack.replies(ts)  # a thread's replies, oldest first
        slack.requests  # every request: .path, .headers (any case), .body (decoded)

Like Slack: every Web API answer is JSON with ``ok``; a bad token gets HTTP 200 with
``{"ok": false, "error": "invalid_auth"}``; ``rate_limit()`` makes the next calls answer 429
with ``Retry-After``; methods that take a conversation id refuse a ``#name``;
``conversations.history`` holds top-level messages only, newest first, and returns message
metadata only when ``include_all_metadata`` is asked for; ``conversations.replies`` returns the
parent and then the replies; ``fail(method)`` answers one method with HTTP 500. Files go up in three steps (``files.getUploadURLExternal``, a POST
of the bytes to the URL it gave, ``files.completeUploadExternal``); the last shares them, in a
thread when ``thread_ts`` is given, as a message of its own. ``slow()`` takes the next
``chat.postMessage`` (it is in the channel) but holds its answer until ``release()``: a client
with a shorter timeout gives up on a message that arrived; ``hang_up()`` takes it and closes the
connection unanswered. ``webhook_url`` is an incoming
webhook into the same channel: plain-text answers (``ok``, ``invalid_payload``...). ``go_down()``
and ``recover()`` (see ``_http``) make an outage of any length.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from ._http import FakeServer, Headers, Recorded, Response, decode_body

__all__ = ["FakeSlack", "DEFAULT_TOKEN"]

DEFAULT_TOKEN = "xoxb-1111-2222-fake"
JSON = "application/json; charset=utf-8"
WEBHOOK_PATH = "/services/T0001/B0001/fakesecret"
NEEDS_ID = {"chat.update", "conversations.history", "conversations.replies"}


def _true(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


class FakeSlack(FakeServer):
    def __init__(
        self, token: str = DEFAULT_TOKEN, channel_id: str = "C123", channel_name: str = "预警"
    ):
        super().__init__()
        self.token = token
        self.channel_id = channel_id
        self.channel_name = channel_name
        self._rate_limited = 0
        self._rate_limit_after = 0
        self._retry_after = 1
        self._slow = 0
        self._held: list[threading.Event] = []
        self._ts = 0
        self._files = 0
        self.posted: list[dict[str, Any]] = []  # accepted chat.postMessage arguments
        self.updates: list[dict[str, Any]] = []  # accepted chat.update arguments
        self.webhook_posts: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}  # file id -> bytes sent to its upload URL
        self._channel: list[dict[str, Any]] = []  # every message, replies included, in order
        self._pending_files: dict[str, dict[str, Any]] = {}
        self._refusals: dict[str, str] = {}
        self._failing: dict[str, int] = {}
        self._hang_up = 0

    @property
    def url(self) -> str:
        """Where the server listens; Slack's Web API is under ``/api/``."""
        return self.base

    @property
    def api_url(self) -> str:
        """The ``base_url`` for slack_sdk's WebClient (or a slack receiver's ``base_url``)."""
        return self.base + "/api/"

    @property
    def webhook_url(self) -> str:
        return self.base + WEBHOOK_PATH

    def rate_limit(self, times: int = 1, retry_after: int = 1, after: int = 0) -> None:
        """Answer ``times`` calls with 429 ratelimited and this Retry-After, once ``after``
        more calls have been answered as usual."""
        self._rate_limited = times
        self._retry_after = retry_after
        self._rate_limit_after = after

    def slow(self, times: int = 1) -> None:
        """Take the next ``times`` chat.postMessage calls but answer only after ``release()``."""
        self._slow = times

    def hang_up(self, times: int = 1) -> None:
        """Take the next ``times`` chat.postMessage calls, then close the connection unanswered."""
        self._hang_up = times

    def refuse(self, method: str, error: str) -> None:
        """Answer every call of ``method`` with ``ok: false`` and this error (missing_scope...)."""
        self._refusals[method] = error

    def fail(self, method: str, status: int | None = 500) -> None:
        """Answer every call of ``method`` with this HTTP status and an HTML page, as Slack's
        front end does when the service behind it is down; ``None`` mends it."""
        if status is None:
            self._failing.pop(method, None)
        else:
            self._failing[method] = status

    def release(self) -> None:
        """Let held answers go (to clients long gone)."""
        for event in self._held:
            event.set()

    def stop(self) -> None:
        self.release()
        super().stop()

    # -- what was asked, and what the channel shows

    def decode(self, raw: bytes, headers: Headers, query: dict[str, str]) -> Any:
        """The call's arguments, sent as JSON or as a form; JSON-valued fields decoded."""
        body = decode_body(raw, headers.get("content-type", ""))
        if not isinstance(body, dict):
            return body
        params: dict[str, Any] = {**query, **body}
        for key in ("blocks", "attachments", "metadata", "files"):
            if isinstance(params.get(key), str) and params[key]:
                params[key] = json.loads(params[key])
        return params

    def messages(self) -> list[dict[str, Any]]:
        """Arguments of each chat.postMessage that Slack accepted, in order."""
        return list(self.posted)

    def channel_messages(self) -> list[dict[str, Any]]:
        """Top-level messages as the channel shows them now (edits applied), oldest first."""
        return [m for m in self._channel if m.get("thread_ts") in (None, m["ts"])]

    def replies(self, ts: str) -> list[dict[str, Any]]:
        """The replies in the thread under ``ts``, oldest first (file shares included)."""
        return [m for m in self._channel if m.get("thread_ts") == ts and m["ts"] != ts]

    # -- answering

    def default_headers(self, request: Recorded) -> dict[str, str]:
        return {"Content-Type": JSON}

    def rate_limited(self, request: Recorded) -> Response:
        """HTTP 429 with Retry-After, as Slack answers a client over a method's rate limit."""
        body: Any = {"ok": False, "error": "ratelimited"}
        if request.path == WEBHOOK_PATH:
            body = "rate_limited"
        return Response(429, body, {"Retry-After": str(self._retry_after)})

    def handle(self, request: Recorded) -> Response:
        if request.method != "POST":
            return Response(404, {"ok": False, "error": "unknown_method"})
        if self._rate_limited > 0 and self._rate_limit_after > 0:
            self._rate_limit_after -= 1
        elif self._rate_limited > 0:
            self._rate_limited -= 1
            return self.rate_limited(request)
        if request.path == WEBHOOK_PATH:
            return self._webhook(request.body)
        if request.path.startswith("/upload/v1/"):
            return self._upload(request.path.removeprefix("/upload/v1/"), request.raw)
        if not request.path.startswith("/api/"):
            return Response(404, "Not Found", {"Content-Type": "text/plain"})
        auth = request.headers.get("authorization", "")
        if not auth:
            return Response(200, {"ok": False, "error": "not_authed"})
        if auth != f"Bearer {self.token}":
            return Response(200, {"ok": False, "error": "invalid_auth"})
        method = request.path.removeprefix("/api/")
        params = request.body if isinstance(request.body, dict) else {}
        if method in self._refusals:
            return Response(200, {"ok": False, "error": self._refusals[method]})
        if method in self._failing:
            page = f"<html><body>{self._failing[method]} Server Error</body></html>"
            return Response(self._failing[method], page, {"Content-Type": "text/html"})
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return Response(200, {"ok": False, "error": "unknown_method"})
        if method in NEEDS_ID and params.get("channel") != self.channel_id:
            return Response(200, {"ok": False, "error": "channel_not_found"})
        return answer(params)

    def _auth_test(self, params: dict[str, Any]) -> Response:
        return Response(200, {"ok": True, "team": "fake", "user": "yujing", "bot_id": "B123"})

    def _known_channel(self, channel: Any) -> bool:
        # chat.postMessage takes an id or a name, with or without "#".
        return channel in (self.channel_id, self.channel_name, "#" + self.channel_name)

    def _new_ts(self) -> str:
        # Slack's ts: the time of the message in microseconds, unique in the channel.
        self._ts = max(round(time.time() * 1e6), self._ts + 1)
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B123",
            "text": params.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata"):
            if params.get(key):
                message[key] = params[key]
        return message

    def _chat_postMessage(self, params: dict[str, Any]) -> Response:
        if not self._known_channel(params.get("channel")):
            return Response(200, {"ok": False, "error": "channel_not_found"})
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return Response(200, {"ok": False, "error": "no_text"})
        thread = params.get("thread_ts")
        if thread and not any(m["ts"] == thread for m in self.channel_messages()):
            return Response(200, {"ok": False, "error": "thread_not_found"})
        self.posted.append(params)
        message = self._message(params, self._new_ts())
        if thread:
            message["thread_ts"] = thread
        self._channel.append(message)
        answer = Response(
            200, {"ok": True, "channel": self.channel_id, "ts": message["ts"], "message": message}
        )
        if self._hang_up > 0:
            self._hang_up -= 1
            answer.drop = True
        elif self._slow > 0:
            self._slow -= 1
            answer.hold = threading.Event()
            self._held.append(answer.hold)
        return answer

    def _chat_update(self, params: dict[str, Any]) -> Response:
        found = [m for m in self._channel if m["ts"] == params.get("ts")]
        if not found:
            return Response(200, {"ok": False, "error": "message_not_found"})
        (message,) = found
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": "B123", "ts": self._new_ts()}
        self.updates.append(params)
        return Response(
            200,
            {"ok": True, "channel": self.channel_id, "ts": message["ts"], "text": message["text"]},
        )

    def _shown(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> list[dict]:
        """Messages as history and replies show them: metadata only when asked for."""
        oldest = float(params.get("oldest") or 0)
        inclusive = _true(params.get("inclusive"))
        out = []
        for m in messages:
            t = float(m["ts"])
            if t < oldest or (t == oldest and not inclusive):
                continue
            shown = dict(m)
            if not _true(params.get("include_all_metadata")):
                shown.pop("metadata", None)
            out.append(shown)
        return out

    def _conversations_history(self, params: dict[str, Any]) -> Response:
        shown = self._shown(self.channel_messages(), params)[::-1]  # newest first
        limit = int(params.get("limit") or 100)
        return Response(
            200,
            {
                "ok": True,
                "messages": shown[:limit],
                "has_more": len(shown) > limit,
                "pin_count": 0,
                "response_metadata": {"next_cursor": ""},
            },
        )

    def _conversations_replies(self, params: dict[str, Any]) -> Response:
        ts = params.get("ts")
        parent = [m for m in self.channel_messages() if m["ts"] == ts]
        if not parent:
            return Response(200, {"ok": False, "error": "thread_not_found"})
        shown = parent + self._shown(self.replies(str(ts)), params)
        return Response(
            200,
            {"ok": True, "messages": shown, "has_more": False, "response_metadata": {}},
        )

    def _conversations_list(self, params: dict[str, Any]) -> Response:
        channel = {
            "id": self.channel_id,
            "name": self.channel_name,
            "is_channel": True,
            "is_private": False,
            "is_archived": False,
            "is_member": True,
        }
        return Response(
            200, {"ok": True, "channels": [channel], "response_metadata": {"next_cursor": ""}}
        )

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> Response:  # noqa: N802
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return Response(200, {"ok": False, "error": "invalid_arguments"})
        self._files += 1
        file_id = f"F{self._files:08d}"
        self._pending_files[file_id] = {"name": params["filename"], "length": int(params["length"])}
        return Response(
            200, {"ok": True, "upload_url": f"{self.base}/upload/v1/{file_id}", "file_id": file_id}
        )

    def _upload(self, file_id: str, raw: bytes) -> Response:
        if file_id not in self._pending_files:
            return Response(404, "Not Found", {"Content-Type": "text/plain"})
        self.uploads[file_id] = raw
        return Response(200, f"OK - {len(raw)}", {"Content-Type": "text/plain"})

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> Response:  # noqa: N802
        files = params.get("files") or []
        if not files or any(f.get("id") not in self.uploads for f in files):
            return Response(200, {"ok": False, "error": "file_not_found"})
        shared = [
            {
                "id": f["id"],
                "name": self._pending_files[f["id"]]["name"],
                "title": f.get("title") or self._pending_files[f["id"]]["name"],
                "size": len(self.uploads[f["id"]]),
            }
            for f in files
        ]
        channel = params.get("channel_id")
        if channel:
            if channel != self.channel_id:
                return Response(200, {"ok": False, "error": "channel_not_found"})
            message: dict[str, Any] = {
                "type": "message",
                "subtype": "file_share",
                "text": params.get("initial_comment") or "",
                "files": shared,
                "ts": self._new_ts(),
            }
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            self._channel.append(message)
        return Response(200, {"ok": True, "files": shared})

    def _webhook(self, body: Any) -> Response:
        plain = {"Content-Type": "text/html"}
        if not isinstance(body, dict):
            return Response(400, "invalid_payload", plain)
        if not body.get("text") and not body.get("blocks") and not body.get("attachments"):
            return Response(400, "no_text", plain)
        self.webhook_posts.append(body)
        self._channel.append(self._message(body, self._new_ts()))
        return Response(200, "ok", plain)
