"""The console (``yujing.app.console``) on the daemon's HTTP server: its pages and forms.

``GET /``: open waves in the notifier's groups, filtered by ``?filter={product="anxin-e"}`` as
the Alertmanager API filters. ``GET /wave/{id}``: one wave; ``POST`` to it acks, notes or
resolves it (a resolve needs a note) through ``ops.handle``. ``GET /silences``: the silences;
``GET /silences/new?matchers=...``: the form, prefilled, with the open waves it would mute;
``POST /silences`` previews or saves; ``POST /silences/{id}/expire`` ends one. Every change is
journalled with ``via: console``. Served only on a loopback address (``console.guard``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from yujing.alerts import Action, Silence
from yujing.config import parse_duration
from yujing.config.labels import matcher_problem
from yujing.records import utcnow

from .. import ops
from ..amapi.silences import BadRequest, filter_matchers
from ..console import pages
from ..console.guard import (
    CSRF_FIELD,
    console_exposure,
    origin_refusal,
    refusal,
    token_refusal,
)
from ..console.render import page, redirect
from ..web import HttpRequest, HttpResponse, RouteTable
from . import Component, NotConfigured

__all__ = ["Console", "MAX_FORM"]

MAX_FORM = 64 * 1024  # a note or a silence's matchers and comment
# What the wave page offers: (action, its button); all but an ack need a note.
ACTIONS = [
    (Action.ACK.value, "确认（我来跟进）"),
    (Action.NOTE.value, "添加备注"),
    (Action.RESOLVE.value, "处理完毕"),
]
STATES = {"active": "生效中", "pending": "未开始", "expired": "已结束"}

Handler = Callable[[HttpRequest], HttpResponse]

log = logging.getLogger("yujing.http")


def _refused(why: str) -> HttpResponse:
    return page("refused.html.j2", 403, why=why, error="")


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def _form(request: HttpRequest) -> dict[str, list[str]]:
    return parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)


class Console(Component):
    def __init__(self, daemon: Any):
        super().__init__(daemon)
        # The forms' token: a page of another site cannot read it; a restart makes a new one.
        self.token = secrets.token_urlsafe(32)

    @classmethod
    def from_daemon(cls, daemon: Any) -> Component:
        if daemon.config.http.address is None:
            raise NotConfigured("http.listen is null")
        return super().from_daemon(daemon)

    def start(self, scheduler: AsyncIOScheduler) -> None:
        config = self.daemon.config
        if refusal(config, {"host": "localhost"}):  # said once, where it is seen
            log.warning("http: %s", console_exposure(config))
        table = self.daemon.get(RouteTable)
        for path, handler in {
            "/": self.waves,
            "/wave/{id}": self.wave,
            "/silences": self.silences,
            "/silences/new": self.new_silence,
        }.items():
            table.route("GET", path, self._guarded(handler), early=self._read_early)
        for path, handler in {
            "/wave/{id}": self.act,
            "/silences": self.post_silence,
            "/silences/{id}/expire": self.expire,
        }.items():
            table.route(
                "POST", path, self._posted(handler), max_body=MAX_FORM, early=self._post_early
            )

    # ------------------------------------------------------------ who may ask

    def _read_early(self, headers: dict[str, str]) -> HttpResponse | None:
        why = refusal(self.daemon.config, headers)
        return _refused(why) if why else None

    def _post_early(self, headers: dict[str, str]) -> HttpResponse | None:
        # The token is in the body, read once this lets it be.
        why = refusal(self.daemon.config, headers) or origin_refusal(headers)
        return _refused(why) if why else None

    def _guarded(self, handler: Handler) -> Handler:
        def answer(request: HttpRequest) -> HttpResponse:
            why = refusal(self.daemon.config, request.headers)
            if why:
                return _refused(why)
            try:
                return handler(request)
            except Exception:
                log.exception("http: %s %s failed", request.method, request.path)
                return page("refused.html.j2", 500, why="内部错误（详见 yujing 日志）", error="")

        return answer

    def _posted(self, handler: Handler) -> Handler:
        def checked(request: HttpRequest) -> HttpResponse:
            sent = _first(_form(request), CSRF_FIELD)
            why = origin_refusal(request.headers) or token_refusal(self.token, sent)
            return _refused(why) if why else handler(request)

        return self._guarded(checked)

    # ------------------------------------------------------------ waves

    def waves(self, request: HttpRequest) -> HttpResponse:
        shown = " ".join(request.query.get("filter", []))
        try:
            matchers = tuple(filter_matchers(request.query.get("filter", [])))
        except BadRequest as exc:
            return page("waves.html.j2", 400, groups=[], filter=shown, error=f"筛选条件有误：{exc}")
        groups = pages.open_groups(self.daemon.store, self.daemon.config, matchers, utcnow())
        return page("waves.html.j2", groups=groups, filter=shown, error="")

    def _wave_page(
        self, ref: str, status: int = 200, error: str = "", by: str = ""
    ) -> HttpResponse:
        try:
            wave = pages.wave_page(self.daemon.store, self.daemon.config, ref)
        except ops.OpsError:
            return page("refused.html.j2", 404, why=f"没有这条预警：{ref}", error="")
        return page(
            "wave.html.j2",
            status,
            wave=wave,
            actions=ACTIONS,
            csrf=self.token,
            here=pages.wave_link(wave.alert.id),
            by=by,
            error=error,
        )

    def wave(self, request: HttpRequest) -> HttpResponse:
        # The name given with the last action, for the next one (there is no sign-in yet).
        return self._wave_page(_last_segment(request), by=" ".join(request.query.get("by", [])))

    def act(self, request: HttpRequest) -> HttpResponse:
        ref = _last_segment(request)
        form = _form(request)
        action, by, why = _first(form, "action"), _first(form, "by"), _first(form, "why")
        if action not in {a for a, _ in ACTIONS}:
            return self._wave_page(ref, 400, "不认识的操作。", by)
        if not by.strip():
            return self._wave_page(ref, 400, "请填写姓名：处理记录里写明是谁做的。", by)
        if action != Action.ACK.value and not why.strip():
            return self._wave_page(ref, 400, "请写明说明：备注和处理完毕都需要说明。", by)
        try:
            done = ops.handle(
                self.daemon.store,
                self.daemon.config,
                ref,
                Action(action),
                by=by,
                why=why,
                via="console",
            )
        except ops.OpsError as exc:
            return self._wave_page(ref, 400 if exc.code == 2 else 404, str(exc), by)
        return redirect(f"{pages.wave_link(done.alert.id)}?{urlencode({'by': by})}")

    # ------------------------------------------------------------ silences

    def silences(self, request: HttpRequest) -> HttpResponse:
        rows = pages.silence_rows(self.daemon.store, self.daemon.config, utcnow())
        return page("silences.html.j2", silences=rows, states=STATES, csrf=self.token, error="")

    def new_silence(self, request: HttpRequest) -> HttpResponse:
        given = {
            "matchers": "\n".join(request.query.get("matchers", [])),
            "duration": "2h",
            "author": "",
            "comment": "",
        }
        return self._silence_form(given, preview=bool(given["matchers"].strip()))

    def _silence_form(
        self, form: dict[str, str], *, preview: bool, status: int = 200, error: str = ""
    ) -> HttpResponse:
        muted = None
        if preview:  # with what is wrong in it, before it is saved: a typo would mute nothing
            config = self.daemon.config
            lines = _lines(form["matchers"])
            problems = [f"{m}：{p}" for m in lines if (p := matcher_problem(m, config))]
            try:
                muted = pages.muted_rows(self.daemon.store, config, self._draft(form), utcnow())
            except ValueError as exc:
                status, problems = 400, problems or [str(exc)]
            if problems and not error:
                error = "静默规则有误：" + "；".join(problems)
        return page(
            "silence_new.html.j2", status, form=form, preview=muted, csrf=self.token, error=error
        )

    def _draft(self, form: dict[str, str]) -> Silence:
        """The silence the form describes, from now (for the preview; saving checks it all)."""
        now = utcnow()
        seconds = parse_duration(form["duration"] or "2h")
        return Silence(_lines(form["matchers"]), now, now + timedelta(seconds=seconds), "-", "-")

    def post_silence(self, request: HttpRequest) -> HttpResponse:
        raw = _form(request)
        form = {k: _first(raw, k) for k in ("matchers", "duration", "author", "comment")}
        if _first(raw, "step") != "save":
            return self._silence_form(form, preview=True)
        try:
            ops.add_silence(
                self.daemon.store,
                self.daemon.config,
                list(_lines(form["matchers"])),
                duration=form["duration"],
                author=form["author"],
                comment=form["comment"],
                via="console",
            )
        except ops.OpsError as exc:
            return self._silence_form(form, preview=True, status=400, error=str(exc))
        return redirect("/silences")

    def expire(self, request: HttpRequest) -> HttpResponse:
        sid = unquote(request.path.split("/")[-2])
        try:
            ops.expire_silence(self.daemon.store, sid, via="console")
        except ops.OpsError as exc:
            rows = pages.silence_rows(self.daemon.store, self.daemon.config, utcnow())
            return page(
                "silences.html.j2",
                404,
                silences=rows,
                states=STATES,
                csrf=self.token,
                error=str(exc),
            )
        return redirect("/silences")


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _last_segment(request: HttpRequest) -> str:
    return unquote(request.path.rsplit("/", 1)[-1])
