"""Hostile headers for POST /ingest, generated and sent over a raw socket: whatever the request
line and headers say (tokens, lengths, encodings, expectations), the daemon answers with a status
that names the problem or closes the connection, never a 500, and stays up."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yujing.app.components.http import HttpServer
from yujing.app.daemon import Daemon

from ..app.test_http import get, serving, wait_for
from ..app.test_push import TOKEN, Stored, write_config

header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\r\n"),
    max_size=40,
)
authorizations = st.one_of(
    st.just(f"Bearer {TOKEN}"),
    st.builds(
        lambda s, t: f"{s} {t}", st.sampled_from(["Bearer", "bearer", "Basic", ""]), header_text
    ),
    header_text,
    st.just("Bearer " + "x" * 9000),
)
lengths = st.one_of(
    st.integers(min_value=-5, max_value=3 * 1024 * 1024).map(str),
    st.sampled_from(["", "abc", "1e9", "99999999999999999999", "12, 12", " 5", "0x10"]),
)
encodings = st.sampled_from([None, "chunked", "identity", "gzip", "chunked, chunked", "CHUNKED"])
expects = st.sampled_from([None, "100-continue", "nothing"])
BODY = '{"id": "f1", "caller": "138", "time": "2026-11-20 10:00:00", "text": "安心e生理赔被拒"}\n'.encode()


def request(
    auth: str | None, length: str | None, encoding: str | None, expect: str | None
) -> bytes:
    lines = ["POST /ingest HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/x-ndjson"]
    if auth is not None:
        lines.append(f"Authorization: {auth}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if encoding is not None:
        lines.append(f"Transfer-Encoding: {encoding}")
    if expect is not None:
        lines.append(f"Expect: {expect}")
    lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY) if encoding == "chunked" else BODY
    return head + body


def answer(port: int, raw: bytes) -> int | None:
    """The status the server answered, or None when it closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # refused early and closed: the answer may still be there
        data = b""
        try:
            while True:  # to the end: the server closes after its answer (Connection: close)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    # Interim answers (100 Continue) come before the real one.
    statuses = [int(m) for m in re.findall(rb"^HTTP/1\.[01] (\d{3}) ", data, re.MULTILINE)]
    final = [s for s in statuses if s >= 200]
    return final[0] if final else None


def test_headers_never_get_a_500_and_the_daemon_stays_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reactor_thread
) -> None:
    monkeypatch.setenv("HOTLINE_PUSH_TOKEN", TOKEN)
    daemon, stored = Daemon(write_config(tmp_path)), Stored(tmp_path)
    seen: list[int | None] = []

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.one_of(st.none(), authorizations), st.one_of(st.none(), lengths), encodings, expects)
    def send(
        auth: str | None, length: str | None, encoding: str | None, expect: str | None
    ) -> None:
        status = answer(port, request(auth, length, encoding, expect))
        assert status in (None, 202, 400, 401, 408, 411, 413, 415), status
        seen.append(status)

    with serving(daemon, reactor_thread):
        wait_for(lambda: stored.runs() >= 1, "the inbox's first run")
        port = daemon.get(HttpServer).port
        send()
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    assert 401 in seen and len(seen) >= 80
