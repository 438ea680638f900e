"""A tiny threaded HTTP server that records requests; the fakes build on it."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Headers", "Recorded", "Response", "FakeServer", "decode_body"]


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


class FakeServer:
    """Subclasses implement ``handle(request) -> Response``. Use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- subclass API

    def handle(self, request: Recorded) -> Response:
        raise NotImplementedError

    def default_headers(self, request: Recorded) -> dict[str, str]:
        return {"Content-Type": "application/json"}

    def decode(self, raw: bytes, headers: Headers, query: dict[str, str]) -> Any:
        return decode_body(raw, headers.get("content-type", ""))

    # -- lifecycle

    @property
    def base(self) -> str:
        assert self._server is not None, "start the server first (use it as a context manager)"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real clients' pools expect

            def _serve(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval makes stop() quick: shutdown waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
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
            response = self.handle(request)
        payload = response.body
        if isinstance(payload, dict | list):
            payload = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        elif isinstance(payload, str):
            payload = payload.encode("utf-8")
        payload = payload or b""
        out_headers = {**self.default_headers(request), **response.headers}
        if response.hold is not None:
            response.hold.wait()
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
