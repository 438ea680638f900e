"""Refusing a request from its headers, before its body is read.

Twisted's web server reads a whole body (into a temporary file past 100 KB) before a resource
sees the request. That is wrong for an endpoint open to the network: a client without a token,
or announcing 300 MB, would still have its body written to disk, and one that sends a byte a
minute would hold a connection for ever. So the server's requests are ``EarlyRequest``s, which:

* ask the server's ``early`` check as soon as the headers are in (``gotLength``): a missing or
  wrong token, an unknown route or a ``Content-Length`` over the route's limit is answered there,
  and the body that follows is read and thrown away, never stored;
* count a body as it arrives, so a chunked one is cut at the route's limit (413);
* give headers ``HEADER_SECONDS`` and a body ``BODY_SECONDS`` plus the time its limit takes at
  ``MIN_RATE``, whatever the idle timer says (a trickle resets it with every byte): 408 after.

A refused request is answered at once with ``Connection: close``; the connection is then
half-closed and whatever the client still sends is read and discarded for ``LINGER`` seconds, as
web servers do, so a client that sends its whole body before reading still gets the answer
instead of a reset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from twisted.web.server import Request

__all__ = ["Early", "EarlyCheck", "EarlyRequest", "request_factory"]

HEADER_SECONDS = 30.0
BODY_SECONDS = 30.0
MIN_RATE = 256 * 1024  # bytes a second a slow client must still manage, past BODY_SECONDS
LINGER = 2.0


@dataclass(frozen=True)
class Early:
    """The answer to a request refused from its headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/plain; charset=utf-8"


TOO_LARGE = Early(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"request body too large\n")
TOO_SLOW = Early(HTTPStatus.REQUEST_TIMEOUT, b"request not received in time\n")

# (method, path, lower-case headers, announced length: None when chunked) -> an answer now, or
# None to read the body.
EarlyCheck = Callable[[str, str, dict[str, str], int | None], Early | None]


class EarlyRequest(Request):
    check: EarlyCheck
    limit_for: Callable[[str, str], int]  # (method, path) -> the route's body limit in bytes

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._refused = False
        self._received = 0
        self._limit = 0
        self._timer: Any = None
        self._start_timer(HEADER_SECONDS)

    # ------------------------------------------------------------ Twisted's hooks

    def gotLength(self, length: int | None) -> None:  # noqa: N802 (Twisted's name)
        channel = self.channel
        method = getattr(channel, "_command", b"").decode("ascii", "replace").upper()
        path = urlsplit(getattr(channel, "_path", b"").decode("utf-8", "replace")).path
        headers = {
            k.decode("latin-1").lower(): vs[-1].decode("latin-1")
            for k, vs in self.requestHeaders.getAllRawHeaders()
        }
        self._limit = self.limit_for(method, path)
        answer = self.check(method, path, headers, length)
        if answer is None and length is not None and length > self._limit:
            answer = TOO_LARGE
        if answer is not None:
            self._refuse(answer)
            return
        self._start_timer(BODY_SECONDS + self._limit / MIN_RATE)
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:  # noqa: N802
        if self._refused:
            return  # read and thrown away
        self._received += len(data)
        if self._received > self._limit:  # a chunked body (or one longer than it said)
            self._refuse(TOO_LARGE)
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:  # noqa: N802
        self._stop_timer()
        if self._refused:
            return  # answered already; the connection closes after the linger
        super().requestReceived(command, path, version)

    def connectionLost(self, reason: Any) -> None:  # noqa: N802
        self._stop_timer()
        super().connectionLost(reason)

    # ------------------------------------------------------------ refusing

    def _refuse(self, answer: Early) -> None:
        self._refused = True
        self._stop_timer()
        # Twisted answers "Expect: 100-continue" right after ``gotLength``: a refused request
        # must not be told to go on after its answer.
        self.requestHeaders.removeHeader(b"expect")
        if self.content is not None:
            self.content.close()
        self.content = None
        transport = self.channel.transport
        if transport is None:
            return
        lines = [f"HTTP/1.1 {int(answer.status)} {HTTPStatus(answer.status).phrase}"]
        fields = {
            "Content-Type": answer.content_type,
            "Content-Length": str(len(answer.body)),
            "Connection": "close",
            **answer.headers,
        }
        lines += [f"{name}: {value}" for name, value in fields.items()]
        transport.write("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + answer.body)
        # The reactor running, imported when used: imported at load, it would install the default.
        from twisted.internet import reactor

        half_close = getattr(transport, "loseWriteConnection", None)
        if half_close is not None:
            half_close()
        reactor.callLater(LINGER, transport.loseConnection)

    def _too_slow(self) -> None:
        self._timer = None
        if not self._refused:
            self._refuse(TOO_SLOW)

    def _start_timer(self, seconds: float) -> None:
        from twisted.internet import reactor  # as in _refuse

        self._stop_timer()
        self._timer = reactor.callLater(seconds, self._too_slow)

    def _stop_timer(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None


def request_factory(check: EarlyCheck, limit_for: Callable[[str, str], int]) -> type[EarlyRequest]:
    """A request class for one server: its early check and its routes' limits."""
    return type(
        "ServerRequest",
        (EarlyRequest,),
        {"check": staticmethod(check), "limit_for": staticmethod(limit_for)},
    )
