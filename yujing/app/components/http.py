"""The daemon's one HTTP server: ``/metrics``, ``/healthz``, ``/readyz``, and room for more.

It is Twisted's own web server, on the reactor the daemon already runs (Scrapy's), so it
needs no thread and no other event loop. It listens on ``http.listen`` (127.0.0.1:9414 unless
the config says otherwise; ``null`` turns it off).

Routes are a table of (method, path) -> handler. Another part adds its own in its ``start``::

    daemon.get(RouteTable).route("POST", "/push/hotline", self.push)

A handler takes an ``HttpRequest`` and returns an ``HttpResponse`` (or a coroutine of one);
the server answers 404 and 405 itself, and 500, without details, when a handler raises. A route
may add an ``early`` check of the headers (a token): it runs before the body is read, and a body
over the route's ``max_body`` is refused from its ``Content-Length``, or cut where a chunked one
passes it, never stored (``yujing.app.web_early``).

``/healthz`` is liveness: it answers while the event loop turns. ``/readyz`` is readiness:
503 while the store cannot be written, the scheduler is not running, or a source has brought
nothing but errors for longer than ``http.source_failing``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.error import CannotListenError
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site  # none of these imports the reactor

from yujing.records import format_time, utcnow

from ..reactor import install_asyncio_reactor
from ..web import MAX_BODY, EarlyCheck, Handler, HttpRequest, HttpResponse, RouteTable
from ..web_early import Early, request_factory
from . import Component, NotConfigured, Reload

__all__ = ["HttpRequest", "HttpResponse", "HttpServer", "Handler", "EarlyCheck", "readiness"]

log = logging.getLogger("yujing.http")

PROBE_KEY = "daemon.ready_probe"


class HttpServer(Component, RouteTable):
    def __init__(self, daemon: Any):
        super().__init__(daemon)
        RouteTable.__init__(self)
        self._port: Any = None  # Twisted's listening port, once listening
        self._address: tuple[str, int] | None = None
        daemon.metrics.watch(daemon)
        self.route("GET", "/metrics", self.metrics)
        self.route("GET", "/healthz", self.healthz)
        self.route("GET", "/readyz", self.readyz)

    @classmethod
    def from_daemon(cls, daemon: Any) -> Component:
        if daemon.config.http.address is None:
            raise NotConfigured("http.listen is null")
        return super().from_daemon(daemon)

    @property
    def port(self) -> int | None:
        """The port listened on (the one taken when the config says port 0), or None."""
        return self._port.getHost().port if self._port is not None else None

    # ------------------------------------------------------------ lifecycle

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self._listen(self.daemon.config.http.address)

    def reload(self, change: Reload) -> None:
        address = change.new_config.http.address
        if address != self._address:
            self._close()
            if address is not None:
                self._listen(address)

    async def stop(self) -> None:
        # First of the parts: nothing new comes in over HTTP while the rest finish.
        closing = self._close()
        if closing is not None:
            await closing

    def _listen(self, address: tuple[str, int] | None) -> None:
        self._address = address
        if address is None:
            return
        install_asyncio_reactor()
        # Imported once the asyncio reactor is installed: importing it first installs another.
        from twisted.internet import reactor

        if getattr(reactor, "_asyncioEventloop", None) is not _running_loop():
            log.warning("http: not running on the Twisted reactor's loop; no HTTP server")
            return
        host, port = address
        site = Site(_Root(self), requestFactory=request_factory(self.answer_early, self.body_limit))
        site.noisy = False  # no "Starting factory" lines
        site.log = lambda request: None  # no access log: scrapes every few seconds are noise
        try:
            self._port = reactor.listenTCP(port, site, interface=host)
        except CannotListenError as exc:
            # Collecting and alerting matter more than being watched: the daemon goes on.
            log.error(
                "http: cannot listen on %s:%d (%s); /metrics and /healthz are off. "
                "Free the port or set http.listen to another address",
                host,
                port,
                exc.socketError,
            )
            return
        shown = f"[{host}]" if ":" in host else host
        log.info("http: serving /metrics, /healthz and /readyz on http://%s:%d", shown, self.port)

    def _close(self) -> asyncio.Future[Any] | None:
        """Stop listening; the future is done once the port is closed."""
        port, self._port = self._port, None
        if port is None:
            return None
        return Deferred.asFuture(maybeDeferred(port.stopListening), asyncio.get_event_loop())

    # ------------------------------------------------------------ the built-in routes

    def metrics(self, request: HttpRequest) -> HttpResponse:
        body, content_type = self.daemon.metrics.exposition(request.headers.get("accept"))
        return HttpResponse(200, body, content_type)

    def healthz(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse.text("ok\n")

    def readyz(self, request: HttpRequest) -> HttpResponse:
        ready, checks = readiness(self.daemon, utcnow())
        return HttpResponse.json({"ready": ready, "checks": checks}, 200 if ready else 503)

    # ------------------------------------------------------------ dispatching

    def body_limit(self, method: str, path: str) -> int:
        key = self.find("GET" if method == "HEAD" else method, path)
        return self.max_body.get(key, MAX_BODY) if key is not None else MAX_BODY

    def answer_early(
        self, method: str, path: str, headers: dict[str, str], length: int | None
    ) -> Early | None:
        """The answer to a request that can be given from its headers: no route (when it comes
        with a body, which is then never read), or the route's own check refusing it."""
        key = self.find("GET" if method == "HEAD" else method, path)
        if key is None:
            return self._missing(path).early() if length != 0 else None
        check = self.early.get(key)
        answer = check(headers) if check is not None else None
        return answer.early() if answer is not None else None

    def dispatch(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        method = "GET" if request.method == "HEAD" else request.method
        key = self.find(method, request.path)
        if key is not None:
            return self.routes[key](request)
        return self._missing(request.path)

    def _missing(self, path: str) -> HttpResponse:
        allowed = self.methods(path)
        if allowed:
            return HttpResponse(405, b"method not allowed\n", headers={"Allow": ", ".join(allowed)})
        return HttpResponse.text("not found\n", 404)


def readiness(daemon: Any, now: datetime) -> tuple[bool, dict[str, Any]]:
    """Whether the daemon can do its work, and each check's verdict."""
    checks: dict[str, Any] = {}
    store = daemon.store
    try:
        if not store.db.in_transaction:  # never write into another part's transaction
            # A real commit: a full disk or a read-only file fails here, not at the next post.
            with store.transaction():
                store.state.set(PROBE_KEY, format_time(now))
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"cannot write: {type(exc).__name__}: {exc}"
    scheduler = daemon.scheduler
    running = scheduler is not None and scheduler.state == STATE_RUNNING
    checks["scheduler"] = "ok" if running and not daemon.stopping else "not running"
    limit = daemon.config.http.source_failing
    enabled = {s.name for s in daemon.config.sources if s.enabled}
    failing = {
        name: f"failing since {format_time(since)}"
        for name, since in sorted(store.runs.failing_since().items())
        if name in enabled and (now - since).total_seconds() > limit
    }
    checks["sources"] = failing or "ok"
    return all(v == "ok" for v in checks.values()), checks


class _Root(Resource):
    """The one Twisted resource: every path goes through ``HttpServer.dispatch``."""

    isLeaf = True  # noqa: N815 (Twisted's name)

    def __init__(self, server: HttpServer):
        super().__init__()
        self.server = server

    def render(self, request: Any) -> Any:
        gone: list[bool] = []
        request.notifyFinish().addErrback(lambda _failure: gone.append(True))
        try:
            outcome = self.server.dispatch(_request(request))
        except Exception:
            log.exception("http: %s failed", _path(request))
            outcome = HttpResponse.text("internal error\n", 500)
        if not inspect.isawaitable(outcome):
            return _write(request, outcome)

        def finished(task: asyncio.Future[HttpResponse]) -> None:
            if gone:  # the client went away; nothing to answer
                return
            try:
                response = task.result()
            except Exception:
                log.exception("http: %s failed", _path(request))
                response = HttpResponse.text("internal error\n", 500)
            request.write(_write(request, response))
            request.finish()

        asyncio.ensure_future(outcome).add_done_callback(finished)
        return NOT_DONE_YET


def _request(request: Any) -> HttpRequest:
    return HttpRequest(
        method=request.method.decode("ascii", "replace").upper(),
        path=_path(request),
        query={
            k.decode("utf-8", "replace"): [v.decode("utf-8", "replace") for v in vs]
            for k, vs in request.args.items()
        },
        headers={
            k.decode("latin-1").lower(): vs[-1].decode("latin-1")
            for k, vs in request.requestHeaders.getAllRawHeaders()
        },
        body=request.content.read() if request.content is not None else b"",
        client=getattr(request.getClientAddress(), "host", ""),
    )


def _path(request: Any) -> str:
    return request.path.decode("utf-8", "replace")


def _write(request: Any, response: HttpResponse) -> bytes:
    request.setResponseCode(response.status)
    request.setHeader(b"content-type", response.content_type.encode("latin-1"))
    for name, value in response.headers.items():
        request.setHeader(name.encode("latin-1"), value.encode("latin-1"))
    return response.body


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
