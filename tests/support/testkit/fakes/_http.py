"""A tiny threaded HTTP server that records requests; the fakes build on it.

Every fake can be taken down for as long as a test wants (``go_down``) and brought back
(``recover``), in each way a service fails: nothing listens (connection refused), it answers
HTTP 500, it says the client is over its rate limit (each fake in its service's own words), or it
answers so late that every client has given up.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Headers", "Recorded", "Response", "FakeServer", "decode_body", "OUTAGES"]

# The ways a service is down, for ``FakeServer.go_down``.
OUTAGES = ("refused", "error", "rate_limited", "slow", "late")
SLOW = 0.5  # seconds a slow service takes to answer: longer than the tests' client timeouts


class Headers(dict[str, str]):
    """Request headers; lookups ignore case, as HTTP does."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__((k.lower(), v) for k, v in dict(items).items())

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


def decode_body(raw: bytes, content_type: str) -> Any:
    """JSON -> dict/list, NDJSON -> list of dicts, a form -> dict, else text."""
    if not raw:
        return None
    ctype = content_type.split(";")[0].strip().lower()
    if ctype.endswith("x-ndjson"):
        return [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    if ctype.endswith("json"):
        return json.loads(raw)
    if ctype == "application/x-www-form-urlencoded":
        return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
    return raw.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    raw: bytes
    body: Any  # decoded by the fake: see decode_body


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON, bytes/str as they are, None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    # Answer only once this is set: the service took the request but the answer is late (the
    # client times out meanwhile). Waited for outside the fake's lock, so other calls go on.
    hold: threading.Event | None = None
    # Hang up without answering: the service took the request, the answer never comes.
    drop: bool = False
    # Wait for ``hold`` at most this long (None: until it is set).
    hold_for: float | None = None


class FakeServer:
    """Subclasses implement ``handle(request) -> Response``. Use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0  # kept across an outage: clients hold the address
        self._connections: set[Any] = set()  # open client sockets, cut when the service goes
        self.outage: str | None = None
        self._answer_late = threading.Event()  # what "slow" answers wait for: recover()
        self._answering = 0  # requests being answered now

    # -- subclass API

    def handle(self, request: Recorded) -> Response:
        raise NotImplementedError

    def default_headers(self, request: Recorded) -> dict[str, str]:
        return {"Content-Type": "application/json"}

    def decode(self, raw: bytes, headers: Headers, query: dict[str, str]) -> Any:
        return decode_body(raw, headers.get("content-type", ""))

    def rate_limited(self, request: Recorded) -> Response:
        """The service's answer to a client over its rate limit; a fake gives its service's."""
        return Response(429, {"error": "too many requests"}, {"Retry-After": "60"})

    # -- an outage

    def go_down(self, how: str) -> None:
        """Fail every request until ``recover()``: ``refused`` (nothing listens on the port and
        open connections are cut), ``error`` (HTTP 500), ``rate_limited`` (``rate_limited()``)
        ``slow`` (the request is not acted on, and its answer, a 503, comes after ``SLOW``
        seconds or at ``recover()``: the client has timed out by then) or ``late`` (the request
        is acted on as usual, but its answer comes as late as a slow one's)."""
        assert how in OUTAGES, f"one of {OUTAGES}"
        self._answer_late.clear()
        self.outage = how
        if how == "refused":
            self._close()
            for connection in list(self._connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def recover(self) -> None:
        """Answer as usual again (on the same port); late answers go to clients long gone."""
        refused = self.outage == "refused"
        self.outage = None
        self._answer_late.set()
        if refused:
            self.start()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Return once no request is being answered (a late answer included)."""
        deadline = time.monotonic() + timeout
        while self._answering and time.monotonic() < deadline:
            time.sleep(0.01)

    def _outage_answer(self, request: Recorded) -> Response | None:
        if self.outage in (None, "late"):
            return None
        if self.outage == "rate_limited":
            return self.rate_limited(request)
        if self.outage == "slow":
            return Response(
                503, {"error": "service unavailable"}, hold=self._answer_late, hold_for=SLOW
            )
        # "error", or a request on a connection opened before the port closed
        return Response(
            500,
            "<html><body>500 Internal Server Error</body></html>",
            {"Content-Type": "text/html"},
        )

    # -- lifecycle

    @property
    def base(self) -> str:
        assert self._port, "start the server first (use it as a context manager)"
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real clients' pools expect
            # The head and the body go out in two writes: without this, on a kept-alive
            # connection the body waits for the client's delayed ACK (40 ms an answer).
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

            def setup(self) -> None:
                super().setup()
                fake._connections.add(self.connection)

            def finish(self) -> None:
                fake._connections.discard(self.connection)
                super().finish()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        # A short poll interval makes stop() quick: shutdown waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._answer_late.set()
        self._close()

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- plumbing

    def _decode_safely(self, raw: bytes, headers: Headers, query: dict[str, str]) -> Any:
        try:
            return self.decode(raw, headers, query)
        except ValueError:
            return None  # malformed: the fake answers 400, as the real service would

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._answering += 1
        try:
            self._answer(h)
        finally:
            with self._lock:
                self._answering -= 1

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if h.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        url = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        headers = Headers(h.headers.items())
        request = Recorded(
            method=h.command,
            path=url.path,
            query=query,
            headers=headers,
            raw=body,
            body=self._decode_safely(body, headers, query),
        )
        with self._lock:
            self.requests.append(request)
            response = self._outage_answer(request) or self.handle(request)
            if self.outage == "late":
                response.hold, response.hold_for = self._answer_late, SLOW
        payload = response.body
        if isinstance(payload, dict | list):
            payload = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        elif isinstance(payload, str):
            payload = payload.encode("utf-8")
        payload = payload or b""
        out_headers = {**self.default_headers(request), **response.headers}
        if response.hold is not None:
            response.hold.wait(response.hold_for)
        if response.drop:
            h.close_connection = True
            return
        try:
            h.send_response(response.status)
            for name, value in out_headers.items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(payload)
        except OSError:
            h.close_connection = True  # the client gave up waiting and hung up
