"""What the webhook receivers share: one JSON POST over the standard library, and the rate
windows that keep a receiver within what its service allows.

Errors never carry the URL: a robot's webhook URL holds its credential (access_token, key), and
delivery errors are logged and kept on the outbox row.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import RetryLater

__all__ = ["Reply", "Unreachable", "post_json", "RateWindow", "retry_after"]

TIMEOUT = 10.0


class Unreachable(Exception):
    """The service did not answer (refused, timed out, DNS)."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: Any  # the decoded JSON, or None when the answer was not JSON
    text: str


def post_json(
    url: str,
    payload: Any,
    *,
    what: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = TIMEOUT,
) -> Reply:
    """POST ``payload`` as UTF-8 JSON (or ``body`` as it is) and return the answer, whatever its
    status; ``what`` names the receiver in errors instead of the URL."""
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer, raw = response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        status, answer, raw = exc.code, dict(exc.headers.items()), exc.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise Unreachable(f"{what}: no answer from the service ({reason})") from None
    text = raw.decode("utf-8", errors="replace")
    try:
        decoded = json.loads(text) if text.strip() else None
    except ValueError:
        decoded = None
    return Reply(status, answer, decoded, text[:500])


def retry_after(headers: Mapping[str, str], default: float) -> float:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(1.0, float(value))
            except ValueError:
                break
    return default


class RateWindow:
    """At most ``limit`` messages in any ``per`` seconds, for each (limit, per) the service sets.

    A message over a limit is not sent at all: ``take`` raises ``RetryLater`` with the wait, the
    outbox keeps it, and it goes when the window has room, instead of earning the service's
    penalty (DingTalk mutes a robot for ten minutes once it is over its limit).
    """

    def __init__(self, *limits: tuple[int, float], clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.span = max(per for _, per in limits)
        self.clock = clock
        self.sent: deque[float] = deque()
        self.blocked_until = 0.0

    def take(self, what: str) -> None:
        now = self.clock()
        if now < self.blocked_until:
            raise RetryLater(
                f"{what}: the service asked to wait; holding messages",
                self.blocked_until - now,
            )
        while self.sent and self.sent[0] <= now - self.span:
            self.sent.popleft()
        for limit, per in self.limits:
            recent = [t for t in self.sent if t > now - per]
            if len(recent) >= limit:
                raise RetryLater(
                    f"{what}: {limit} messages in {per:g}s already sent, the service's limit",
                    max(recent[-limit] + per - now, 0.001),
                )
        self.sent.append(now)

    def hold(self, seconds: float) -> None:
        """The service refused for being over its limit: send nothing for ``seconds``."""
        self.blocked_until = max(self.blocked_until, self.clock() + seconds)
