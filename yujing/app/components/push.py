"""``POST /ingest`` on the daemon's HTTP server: transcripts pushed by a call-centre system.

Off unless ``http.push`` is set. A request carries ``Authorization: Bearer <http.push.token>``
(401 otherwise, compared in constant time, from the headers: a body without the token is never
read) and a body of transcript records (``yujing.crawlers.push``
reads it; 400 naming the line and field of the first bad record, 413 past ``max_body_mb``).
The posts are committed through the daemon's intake in one transaction, as an inbox file's are,
and only then is the request answered 202 with ``{"accepted": N, "duplicates": M}``: a client
that got no answer sends the request again, and what was stored comes back as duplicates.

Each request is a run of the source ``http.push.source`` (``yujing status``, ``/metrics``,
source health); new posts are evaluated right after, as any source's are.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.config import Config, HttpPush, TranscriptSource
from yujing.crawlers.push import PushRefused, parse_body
from yujing.records import Post, utcnow

from .. import signals
from ..runs import RunBook, RunLog, SourceReport, record_run
from ..web import MAX_BODY, HttpRequest, HttpResponse, RouteTable
from . import Component, NotConfigured, Reload

__all__ = ["Push", "PATH"]

log = logging.getLogger("yujing.push")

PATH = "/ingest"
_CHALLENGE = 'Bearer realm="yujing"'


class Push(Component):
    def __init__(self, daemon: Any):
        super().__init__(daemon)
        self._detecting: set[asyncio.Task[Any]] = set()
        self._told = RunLog()
        self._stopping = False

    @classmethod
    def from_daemon(cls, daemon: Any) -> Component:
        if daemon.config.http.address is None:  # no server to take requests
            raise NotConfigured("http.listen is null")
        part = super().from_daemon(daemon)
        daemon.signals.connect(part.stopping, signal=signals.stopping)
        return part

    def stopping(self) -> None:
        """Shutdown has begun: requests are refused (503) from now on."""
        self._stopping = True

    def start(self, scheduler: AsyncIOScheduler) -> None:
        self._route(self.daemon.config)

    def reload(self, change: Reload) -> None:
        self._route(change.new_config)  # max_body_mb may have changed

    async def stop(self) -> None:
        if self._detecting:  # evaluations of pushed posts finish before Detection stops
            await asyncio.wait(set(self._detecting), timeout=30)

    def _route(self, config: Config) -> None:
        # Always served, so a reload can turn it on or off: the handler reads the config.
        push = config.http.push
        limit = int(push.max_body_mb * 1024 * 1024) if push else MAX_BODY
        server = self.daemon.get(RouteTable)
        server.route("POST", PATH, self.ingest, max_body=limit, early=self._early)

    def _early(self, headers: dict[str, str]) -> HttpResponse | None:
        """Before the body is read: 404 while off, 401 without the token."""
        push = self.daemon.config.http.push
        if push is None:
            return HttpResponse.text("not found\n", 404)
        return _unauthorised(headers, push)

    # ------------------------------------------------------------ one request

    async def ingest(self, request: HttpRequest) -> HttpResponse:
        config = self.daemon.config
        push = config.http.push
        if push is None:
            return HttpResponse.text("not found\n", 404)
        refused = _unauthorised(request.headers, push)
        if refused is not None:
            return refused
        source = next(s for s in config.sources if s.name == push.source)
        assert isinstance(source, TranscriptSource)  # the config's cross-checks say so
        if not source.enabled or self._stopping:
            why = "yujing is stopping" if self._stopping else f"{source.name} is disabled"
            return _error(503, f"POST {PATH}: {why}; send it again later", {"Retry-After": "60"})
        started = time.monotonic()
        try:
            # Reading a body of megabytes is off the loop; storing is on it, which owns the store.
            posts = await asyncio.to_thread(
                parse_body,
                request.body,
                request.headers.get("content-type"),
                source,
                salt=config.privacy.salt,
                timezone=config.timezone,
                received=utcnow(),
            )
        except PushRefused as exc:
            if exc.status == 400:  # bad records count against the source, as a bad file does
                self._ran(source, SourceReport(source.name, 0, 0, 1, str(exc), "refused"))
            return HttpResponse.json(exc.answer(), exc.status)
        return self._store(source, posts, started)

    def _store(self, source: TranscriptSource, posts: list[Post], started: float) -> HttpResponse:
        try:
            answers = self.daemon.pipeline.accept_many(posts)  # committed before it returns
        except Exception as exc:
            log.exception("push to %s: storing %d posts failed", source.name, len(posts))
            error = f"storing failed: {type(exc).__name__}: {exc}"
            self._ran(source, SourceReport(source.name, 0, 0, 1, error, "store"))
            # Nothing of it was stored (one transaction): the same request can be sent again.
            return _error(503, f"POST {PATH}: cannot store now; send it again later")
        accepted = sum(answers)
        self._ran(source, SourceReport(source.name, len(posts), accepted, 0, None), started)
        if accepted:
            self._detect(source.name, accepted)
        return HttpResponse.json({"accepted": accepted, "duplicates": len(posts) - accepted}, 202)

    def _ran(
        self, source: TranscriptSource, report: SourceReport, started: float | None = None
    ) -> None:
        """Record the request as a run of the source (its push channel): status, metrics,
        health, the log; an error quotes what was sent, so it is recorded redacted."""
        seconds = time.monotonic() - started if started is not None else 0.0
        book = RunBook.of_daemon(self.daemon, self._told)
        record_run(book, source, report, seconds=seconds, channel="push")

    def _detect(self, source: str, count: int) -> None:
        """Evaluate the new posts after answering: the client waits for its posts to be stored,
        not for the detector."""
        sent = self.daemon.signals.send_catch_log_async(
            signals.posts_accepted, source=source, count=count
        )
        task = asyncio.ensure_future(sent)
        self._detecting.add(task)
        task.add_done_callback(self._detecting.discard)


def _unauthorised(headers: dict[str, str], push: HttpPush) -> HttpResponse | None:
    """None when the request carries the token; else 401 with the challenge (RFC 6750)."""
    scheme, _, given = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return _error(401, "a bearer token is required", {"WWW-Authenticate": _CHALLENGE})
    # Bytes: compare_digest takes str of ASCII only, and a token may be sent in anything.
    if hmac.compare_digest(given.strip().encode("utf-8"), push.token.encode("utf-8")):
        return None
    challenge = f'{_CHALLENGE}, error="invalid_token"'
    return _error(401, "the bearer token is not valid", {"WWW-Authenticate": challenge})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse.json({"error": message}, status)
    return HttpResponse(status, response.body, response.content_type, headers or {})
