"""POST /ingest checks the token and the size from the headers: a body that will be refused is
never written anywhere, a chunked body is cut at the limit, and a body that trickles times out."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from twisted.web import http as twisted_http

from yujing.app import web_early as http_early
from yujing.app.daemon import Daemon

from ..app.test_http import serving
from ..app.test_push import TOKEN, Stored, ndjson, started, write_config

BIG = 300 * 1024 * 1024  # announced; the client stops sending once it has its answer
CHUNK = b"x" * 65536


class ContentFiles:
    """Every body buffer the server makes, and the most any of them held."""

    def __init__(self) -> None:
        self.made = 0
        self.most = 0

    def __call__(self, length: int | None) -> object:
        self.made += 1
        files = self

        class Counting:
            def __init__(self) -> None:
                self.inner = twisted_http.BytesIO()

            def write(self, data: bytes) -> None:
                self.inner.write(data)
                files.most = max(files.most, self.inner.tell())

            def __getattr__(self, name: str) -> object:
                return getattr(self.inner, name)

        return Counting()


@pytest.fixture
def files(monkeypatch: pytest.MonkeyPatch) -> ContentFiles:
    counting = ContentFiles()
    monkeypatch.setattr(twisted_http, "_getContentFile", counting)
    return counting


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reactor_thread) -> Iterator[str]:
    monkeypatch.setenv("HOTLINE_PUSH_TOKEN", TOKEN)
    daemon = Daemon(write_config(tmp_path, max_body_mb=1))
    with serving(daemon, reactor_thread):
        yield started(daemon, Stored(tmp_path))


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def send_streaming(
    port: int, head: bytes, chunked: bool, seconds: float = 10.0
) -> tuple[bytes, float, int]:
    """Send ``head``, then body bytes until the server answers (or ``seconds`` pass); the answer,
    how long after the headers it came, and the body bytes sent by then."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=seconds)
    sock.sendall(head)
    t0 = time.monotonic()
    sent = [0]
    stop = threading.Event()

    def stream() -> None:
        piece = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK
        try:
            while not stop.is_set() and sent[0] < BIG and time.monotonic() - t0 < seconds:
                sock.sendall(piece)
                sent[0] += len(CHUNK)
        except OSError:
            pass  # the server closed its side: expected once it has answered

    writer = threading.Thread(target=stream, daemon=True)
    writer.start()
    answer = b""
    try:
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        took = time.monotonic() - t0
        stop.set()
        writer.join(seconds)
        sock.close()
    return answer, took, sent[0]


def head(length: int | None, token: str | None = None, path: str = "/ingest") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/x-ndjson"]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["no-token", "wrong-token"])
def test_300_mb_without_the_token_is_answered_401_at_once_and_never_stored(
    base: str, files: ContentFiles, chunked: bool, token: str | None
) -> None:
    answer, took, sent = send_streaming(
        port_of(base), head(None if chunked else BIG, token), chunked
    )
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
    assert b"WWW-Authenticate: Bearer" in answer and b"Connection: close" in answer
    assert took < 1.0, took
    assert files.made == 0 and files.most == 0  # not a byte of it kept, in memory or on disk
    assert sent < BIG


def test_a_content_length_over_the_limit_is_refused_before_the_body(
    base: str, files: ContentFiles
) -> None:
    answer, took, _ = send_streaming(port_of(base), head(BIG, TOKEN), chunked=False)
    assert answer.startswith(b"HTTP/1.1 413 ") and took < 1.0
    assert files.made == 0


def test_a_chunked_body_is_cut_at_the_limit(base: str, files: ContentFiles) -> None:
    answer, _, _ = send_streaming(port_of(base), head(None, TOKEN), chunked=True)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    limit = 1024 * 1024
    assert files.made == 1 and files.most <= limit


def test_a_body_without_a_route_is_not_read(base: str, files: ContentFiles) -> None:
    answer, took, _ = send_streaming(port_of(base), head(BIG, path="/nowhere"), chunked=False)
    assert answer.startswith(b"HTTP/1.1 404 ") and took < 1.0 and files.made == 0


def test_expect_100_continue_without_the_token_gets_401_not_continue(base: str) -> None:
    with socket.create_connection(("127.0.0.1", port_of(base)), timeout=5) as sock:
        sock.sendall(head(BIG).replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n"))
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401 ") and b"100 Continue" not in answer


def test_a_body_that_trickles_times_out(
    base: str, files: ContentFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_early, "BODY_SECONDS", 0.5)
    monkeypatch.setattr(http_early, "MIN_RATE", float("inf"))
    body = ndjson([{"id": "slow", "text": "安心e生理赔被拒"}])
    with socket.create_connection(("127.0.0.1", port_of(base)), timeout=5) as sock:
        sock.sendall(head(len(body), TOKEN))
        t0 = time.monotonic()
        sock.sendall(body[:3])  # and then a byte now and again, never the rest
        answer = sock.recv(65536)
        took = time.monotonic() - t0
    assert answer.startswith(b"HTTP/1.1 408 ") and 0.4 < took < 3.0, (answer, took)


def test_headers_that_trickle_time_out(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_early, "HEADER_SECONDS", 0.5)
    with socket.create_connection(("127.0.0.1", port_of(base)), timeout=5) as sock:
        sock.sendall(b"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
