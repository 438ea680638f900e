"""What the daemon's HTTP server speaks: requests, responses, and the table of routes.

Apart from the server (``components.http``), so a part that serves a route (``POST /ingest``)
imports these and never the server: it finds the table with ``daemon.get(RouteTable)``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .web_early import Early

__all__ = ["MAX_BODY", "EarlyCheck", "Handler", "HttpRequest", "HttpResponse", "RouteTable"]

# Bodies past this are refused unread (from their Content-Length, or where a chunked one
# passes it).
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: str


@dataclass(frozen=True)
class HttpResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, text: str, status: int = 200) -> HttpResponse:
        return cls(status, text.encode("utf-8"))

    @classmethod
    def json(cls, data: Any, status: int = 200) -> HttpResponse:
        body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        return cls(status, body, "application/json; charset=utf-8")

    def early(self) -> Early:
        return Early(self.status, self.body, self.headers, self.content_type)


Handler = Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]
# The request's lower-case headers -> an answer before its body is read, or None to read it.
EarlyCheck = Callable[[dict[str, str]], HttpResponse | None]


def _fits(template: str, path: str) -> bool:
    """Whether ``path`` is one of ``template``'s: a ``{name}`` segment stands for any one."""
    want, have = template.split("/"), path.split("/")
    return len(want) == len(have) and all(
        w == h or (w.startswith("{") and w.endswith("}") and h != "")
        for w, h in zip(want, have, strict=True)
    )


class RouteTable:
    """Where parts add their routes: (method, path) -> handler, with each route's body limit and
    its early check (the daemon's HTTP server is one). A path may hold ``{name}`` segments
    (``/api/v2/silence/{id}``): the handler reads them from ``request.path``."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.max_body: dict[tuple[str, str], int] = {}
        self.early: dict[tuple[str, str], EarlyCheck] = {}
        self._templates: set[tuple[str, str]] = set()

    def find(self, method: str, path: str) -> tuple[str, str] | None:
        """The route (method, path as added) that serves ``method path``, or None."""
        key = (method.upper(), path)
        if key in self.routes:
            return key
        return next(
            (k for k in sorted(self._templates) if k[0] == key[0] and _fits(k[1], path)), None
        )

    def methods(self, path: str) -> list[str]:
        """The methods some route serves ``path`` with."""
        return sorted({m for m, p in self.routes if p == path or ("{" in p and _fits(p, path))})

    def route(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        max_body: int = MAX_BODY,
        early: EarlyCheck | None = None,
    ) -> None:
        """Serve ``method path`` with ``handler`` (a later call for the same pair replaces it);
        a request whose body is longer than ``max_body`` bytes gets 413 without reaching it, and
        one that ``early`` answers from its headers gets that answer before its body is read."""
        key = (method.upper(), path)
        if "{" in path:
            self._templates.add(key)
        self.routes[key] = handler
        self.max_body[key] = max_body
        if early is None:
            self.early.pop(key, None)
        else:
            self.early[key] = early
