"""Alertmanager's API (v2) on the daemon's HTTP server, under ``/api/v2/``.

``GET /alerts`` and ``/alerts/groups``: the open waves, and the notifier's groups of them
(``yujing.app.amapi.alerts``). ``GET /silences``, ``/silence/{id}``: the silences ``yujing
silence`` keeps. ``POST /silences`` adds one (or replaces the one its ``id`` names) and ``DELETE
/silence/{id}`` expires one, through the same operations as ``yujing silence`` (written to the
audit journal with ``via: api``), and only while the server listens on a loopback address
(``yujing.app.amapi.guard``). ``GET /status`` and ``/receivers`` tell amtool, karma and Grafana
what they talk to. A refused or bad request is answered as Alertmanager answers: a JSON string.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import unquote

import yaml
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.records import format_time, utcnow

from .. import ops
from ..amapi.alerts import AlertFilter, Waves
from ..amapi.guard import api_exposure, is_loopback, read_refusal, write_refusal
from ..amapi.silences import (
    BadRequest,
    boolean,
    filter_matchers,
    matches_filter,
    posted_silence,
    receiver_regex,
    silence_doc,
    silences_in_order,
)
from ..web import HttpRequest, HttpResponse, RouteTable
from . import Component, NotConfigured

__all__ = ["AlertmanagerApi", "BASE", "MAX_SILENCE_BODY", "SPEAKS_AS"]

BASE = "/api/v2"
# The Alertmanager whose API this answers as, in /status's version: clients choose how to talk
# by it (karma needs a semantic version of 0.17 or later, negative matchers came with 0.22, and
# amtool warns when it differs from its own). yujing's own version is given as the revision.
SPEAKS_AS = "0.25.0"
MAX_SILENCE_BODY = 64 * 1024  # a silence is a few matchers and a comment

Handler = Callable[[HttpRequest], HttpResponse]

log = logging.getLogger("yujing.http")


def _error(message: str, status: int) -> HttpResponse:
    return HttpResponse.json(message, status)


class AlertmanagerApi(Component):
    def __init__(self, daemon: Any):
        super().__init__(daemon)
        self.started = utcnow()  # the daemon's uptime, as Alertmanager reports its own

    @classmethod
    def from_daemon(cls, daemon: Any) -> Component:
        if daemon.config.http.address is None:  # no server to take requests
            raise NotConfigured("http.listen is null")
        return super().from_daemon(daemon)

    def start(self, scheduler: AsyncIOScheduler) -> None:
        config = self.daemon.config
        address = config.http.address
        if address is not None and not is_loopback(address[0]):  # said once, where it is seen
            log.warning("http: %s", api_exposure(config))
        table = self.daemon.get(RouteTable)
        reads: dict[str, Handler] = {
            "/status": self.status,
            "/receivers": self.receivers,
            "/alerts": self.alerts,
            "/alerts/groups": self.alert_groups,
            "/silences": self.silences,
            "/silence/{id}": self.silence,
        }
        for path, handler in reads.items():
            table.route("GET", BASE + path, self._reading(handler), early=self._read_early)
        table.route(
            "POST",
            BASE + "/silences",
            self._writing(self.post_silence),
            max_body=MAX_SILENCE_BODY,
            early=self._post_early,
        )
        table.route(
            "DELETE",
            BASE + "/silence/{id}",
            self._writing(self.delete_silence),
            max_body=0,
            early=self._write_early,
        )

    # ------------------------------------------------------------ who may ask

    def _read_early(self, headers: dict[str, str]) -> HttpResponse | None:
        return read_refusal(self.daemon.config, headers)

    def _write_early(self, headers: dict[str, str]) -> HttpResponse | None:
        return write_refusal(self.daemon.config, headers)

    def _post_early(self, headers: dict[str, str]) -> HttpResponse | None:
        refused = self._write_early(headers)
        if refused is not None:
            return refused
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            # Also what keeps a web page's form from posting here: a JSON body needs a
            # preflight, which this server never grants.
            return _error("send the silence as JSON (Content-Type: application/json)", 400)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_SILENCE_BODY:
            return _error(f"a silence is at most {MAX_SILENCE_BODY // 1024} KB of JSON", 413)
        return None

    def _reading(self, handler: Handler) -> Handler:
        return _guarded(self._read_early, handler)

    def _writing(self, handler: Handler) -> Handler:
        # Asked again with the body: the server's address may have changed since the headers.
        return _guarded(self._write_early, handler)

    # ------------------------------------------------------------ reads

    def status(self, request: HttpRequest) -> HttpResponse:
        config = self.daemon.config
        notify = config.notify
        shown = {
            "route": notify.route.model_dump(by_alias=True, exclude_defaults=True),
            "inhibit_rules": [r.model_dump(exclude_defaults=True) for r in notify.inhibit_rules],
            "receivers": [{"name": r.name, "type": r.type} for r in notify.receivers],
        }
        cluster: dict[str, Any] = {"status": "disabled"}
        if notify.peers is not None:  # peers share silences and who sends, through Redis
            cluster = {"name": notify.peers.name, "status": "ready", "peers": []}
        return HttpResponse.json(
            {
                "cluster": cluster,
                "versionInfo": {
                    "version": SPEAKS_AS,
                    "revision": f"yujing {_version()}",
                    "branch": "",
                    "buildUser": "",
                    "buildDate": "",
                    "goVersion": f"python{platform.python_version()}",
                },
                "config": {"original": yaml.safe_dump(shown, allow_unicode=True, sort_keys=False)},
                "uptime": format_time(self.started),
            }
        )

    def receivers(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse.json([{"name": r.name} for r in self.daemon.config.notify.receivers])

    def _waves(self, request: HttpRequest) -> tuple[Waves, AlertFilter]:
        q = request.query
        query = AlertFilter(
            matchers=tuple(filter_matchers(q.get("filter", []))),
            active=boolean(q, "active"),
            silenced=boolean(q, "silenced"),
            inhibited=boolean(q, "inhibited"),
            unprocessed=boolean(q, "unprocessed"),
            receiver=receiver_regex(q),
        )
        return Waves(self.daemon.store, self.daemon.config, utcnow()), query

    def alerts(self, request: HttpRequest) -> HttpResponse:
        waves, query = self._waves(request)
        return HttpResponse.json(waves.alerts(query))

    def alert_groups(self, request: HttpRequest) -> HttpResponse:
        waves, query = self._waves(request)
        return HttpResponse.json(waves.alert_groups(query))

    def silences(self, request: HttpRequest) -> HttpResponse:
        matchers = filter_matchers(request.query.get("filter", []))
        creators = set(request.query.get("creator", []))
        store, now = self.daemon.store, utcnow()
        created = store.silences.created()
        kept = [
            s
            for s in store.silences.all()
            if matches_filter(s, matchers) and (not creators or s.author in creators)
        ]
        return HttpResponse.json(
            [silence_doc(s, now, created.get(s.id)) for s in silences_in_order(kept, now)]
        )

    def silence(self, request: HttpRequest) -> HttpResponse:
        sid = _last_segment(request)
        store = self.daemon.store
        found = store.silences.get(sid)
        if found is None:
            return _error(f"no silence {sid!r}", 404)
        return HttpResponse.json(silence_doc(found, utcnow(), store.silences.created().get(sid)))

    # ------------------------------------------------------------ writes

    def post_silence(self, request: HttpRequest) -> HttpResponse:
        try:
            posted = posted_silence(request.body)
        except BadRequest as exc:
            return _error(str(exc), 400)
        try:
            silence = ops.keep_silence(
                self.daemon.store,
                self.daemon.config,
                posted.matchers,
                starts_at=posted.starts_at,
                ends_at=posted.ends_at,
                author=posted.created_by,
                comment=posted.comment,
                via="api",
                replaces=posted.id,
            )
        except ops.OpsError as exc:
            return _error(str(exc), 404 if exc.code == 1 else 400)
        return HttpResponse.json({"silenceID": silence.id})

    def delete_silence(self, request: HttpRequest) -> HttpResponse:
        sid = _last_segment(request)
        try:
            ops.expire_silence(self.daemon.store, sid, via="api")
        except ops.OpsError as exc:
            if self.daemon.store.silences.get(sid) is None:
                return _error(str(exc), 404)
            # Over already: what was asked is so.
        return HttpResponse(200, b"", "application/json")


def _guarded(refusal: Callable[[dict[str, str]], HttpResponse | None], handler: Handler) -> Handler:
    """``handler`` behind ``refusal``; what it cannot answer is answered as Alertmanager does,
    with a JSON string (400 for a bad request, 500 for a failure, logged)."""

    def answer(request: HttpRequest) -> HttpResponse:
        refused = refusal(request.headers)
        if refused is not None:
            return refused
        try:
            return handler(request)
        except BadRequest as exc:
            return _error(str(exc), 400)
        except Exception:
            log.exception("http: %s %s failed", request.method, request.path)
            return _error("internal error (yujing's log says more)", 500)

    return answer


def _last_segment(request: HttpRequest) -> str:
    return unquote(request.path.rsplit("/", 1)[-1])


def _version() -> str:
    try:
        return version("yujing")
    except PackageNotFoundError:
        return "unknown"
