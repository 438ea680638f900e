"""The console over real HTTP on 127.0.0.1: the open waves in the notifier's groups, a wave's
page, its handling through the console's forms (journalled with ``via: console``), silences
with a preview of what they mute, and who is refused."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from markupsafe import escape

from yujing.alerts import Alert, AlertEvent, EventKind, Severity
from yujing.app.components.http import HttpServer
from yujing.app.daemon import Daemon
from yujing.records import utcnow
from yujing.store import Store

from .amapi_kit import call, check_config, on_loop, told, wave, write
from .test_http import get, serving

SCRIPT = "<script>alert('x')</script>理赔被拒"


def hostile(alert: Alert) -> Alert:
    """A wave whose samples carry markup and a link that is no web page."""
    assert alert.burst is not None
    samples = (
        {"id": "p1", "title": SCRIPT, "url": "https://bbs.example.cn/t/1"},
        {"id": "p2", "title": "点我", "url": "javascript:alert(1)"},
    )
    return replace(alert, burst=replace(alert.burst, samples=samples))


def page(base: str, path: str, status: int = 200, **headers: str) -> str:
    got, body = call(base, "GET", path, headers=headers)
    assert got == status, body.decode("utf-8", "replace")
    return body.decode("utf-8")


def token(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found, "no form token on the page"
    return found.group(1)


def post(
    base: str, path: str, fields: dict[str, str], status: int = 200, origin: str | None = None
) -> str:
    """A form posted as a browser posts it from the console's page (redirects followed)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    headers["Origin"] = base if origin is None else origin
    got, body = call(base, "POST", path, urlencode(fields).encode(), headers)
    assert got == status, body.decode("utf-8", "replace")
    return body.decode("utf-8")


def journal(tmp_path: Path, kind: str) -> list[dict[str, Any]]:
    store = Store(tmp_path / "y.db")
    try:
        return [json.loads(e.body) for e in store.audit.entries() if e.kind == kind]
    finally:
        store.close()


def link(alert: Alert) -> str:
    return "/wave/" + quote(alert.id, safe="")


@pytest.fixture
def opened(served: tuple[Daemon, str], reactor_thread: Any) -> tuple[str, Alert, str]:
    """The console's address, one open wave of anxin-e, and the token of its page's forms."""
    daemon, base = served
    anxin = wave("anxin-e")
    on_loop(reactor_thread, daemon, AlertEvent(EventKind.FIRING, anxin))
    return base, anxin, token(page(base, link(anxin)))


def test_the_open_waves_show_in_the_notifiers_groups_with_post_text_as_text(
    served: tuple[Daemon, str], reactor_thread: Any
) -> None:
    daemon, base = served
    anxin = hostile(wave("anxin-e", severity=Severity.RED))
    claims, kangning = wave("anxin-e", "claims"), wave("kangning", severity=Severity.YELLOW)
    claims = replace(claims, updated_at=claims.updated_at + timedelta(seconds=20))
    on_loop(reactor_thread, daemon, *(AlertEvent(EventKind.FIRING, a) for a in (anxin, claims)))
    later = replace(kangning, updated_at=kangning.updated_at + timedelta(seconds=40))
    on_loop(reactor_thread, daemon, AlertEvent(EventKind.FIRING, later))

    code, body = call(base, "GET", "/")
    listing = body.decode("utf-8")
    assert code == 200
    # One heading per notifier group (group_by: product), the latest changed group first.
    assert listing.index("product=kangning") < listing.index("product=anxin-e")
    # In a group, the latest changed wave first (the category's, though it joined second).
    assert listing.index("【橙色预警】安心e生医疗险·理赔 群体投诉苗头") < listing.index(
        "【红色预警】安心e生医疗险 群体投诉苗头"
    )
    assert "sev-red" in listing and "sev-yellow" in listing
    assert html.escape(link(anxin)) in listing
    assert "被抑制" in listing  # the category wave, kept quiet by its product's

    filtered = page(base, "/?" + urlencode({"filter": '{product="kangning"}'}))
    assert "康宁" in filtered and "安心e生医疗险" not in filtered.split("</form>", 1)[1]
    assert "筛选条件有误" in page(base, "/?filter=produkt%3D%3Dx", 400)

    shown = page(base, link(anxin))
    assert SCRIPT not in shown and "<script>" not in shown
    assert shown.count(str(escape(SCRIPT))) == 2  # the message and the sample list, as text
    assert '<a href="https://bbs.example.cn/t/1"' in shown
    assert 'href="javascript:' not in shown and "点我" in shown
    assert "1小时内 23 条投诉，平时约 2 条" in shown  # the reasons
    assert "新预警 红色" in shown  # the timeline: its firing event from the audit journal

    _, headers, _ = get(base + "/")
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "unsafe-inline" not in policy and "form-action 'self'" in policy
    assert "【橙色预警】安心e生医疗险·理赔" in page(base, link(claims))  # an id with a slash
    assert "没有这条预警" in page(base, "/wave/nothing-such", 404)


def test_handling_through_the_console_is_journalled_with_via_console(
    served: tuple[Daemon, str],
    opened: tuple[str, Alert, str],
    reactor_thread: Any,
    tmp_path: Path,
) -> None:
    base, anxin, form = opened

    after = post(base, link(anxin), {"csrf": form, "action": "ack", "by": "李四"})
    assert "李四 已确认" in after and "经 console" in after
    assert 'name="by" required value="李四"' in after  # the next action's name, given already
    refused = post(
        base, link(anxin), {"csrf": form, "action": "resolve", "by": "李四", "why": " "}, 400
    )
    assert "请写明说明" in refused
    note = {"csrf": form, "action": "note", "by": "李四", "why": ""}
    assert "请写明说明" in post(base, link(anxin), note, 400)
    assert "请填写姓名" in post(base, link(anxin), note | {"by": " ", "why": "x"}, 400)
    post(base, link(anxin), {"csrf": form, "action": "resolve", "by": "李四", "why": "已回复客户"})

    entries = journal(tmp_path, "handling")
    assert [(e["action"], e["by"], e["why"], e["via"]) for e in entries] == [
        ("ack", "李四", "", "console"),
        ("resolve", "李四", "已回复客户", "console"),
    ]
    # Told to the receivers that had the wave, as `yujing alert ack` tells them.
    on_loop(reactor_thread, served[0])
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    handled = [n["handling"] for n in map(json.loads, lines) if n.get("handling")]
    assert [(h["action"], h["by"]) for h in handled] == [("ack", "李四"), ("resolve", "李四")]


def test_a_silence_made_from_a_wave_previews_and_mutes_it(
    served: tuple[Daemon, str], reactor_thread: Any, tmp_path: Path
) -> None:
    daemon, base = served
    anxin, kangning = wave("anxin-e"), wave("kangning")
    on_loop(reactor_thread, daemon, *(AlertEvent(EventKind.FIRING, a) for a in (anxin, kangning)))

    shown = page(base, link(anxin))
    prefilled = html.unescape(re.search(r'href="(/silences/new\?[^"]+)"', shown).group(1))
    form = page(base, prefilled)
    assert "kind=burst\nproduct=anxin-e" in form
    preview = form.split("将被静默的当前预警", 1)[1]
    assert "（1 条）" in preview and html.escape(link(anxin)) in preview
    assert html.escape(link(kangning)) not in preview

    fields = {
        "csrf": token(form),
        "matchers": "kind=burst\nproduct=anxin-e",
        "duration": "2h",
        "author": "张三",
        "comment": "理赔系统故障，已知",
    }
    again = post(base, "/silences", fields | {"step": "preview"})
    assert "（1 条）" in again and not journal(tmp_path, "silence")  # previewed, not saved
    listed = post(base, "/silences", fields | {"step": "save"})
    assert "kind=burst, product=anxin-e" in listed and "生效中" in listed
    [added] = journal(tmp_path, "silence")
    assert (added["action"], added["via"], added["author"]) == ("add", "console", "张三")
    assert "已静默" in page(base, "/")

    # The wave's next change is muted; the other wave's is told.
    grown = [
        AlertEvent(EventKind.ESCALATED, replace(a, severity=Severity.RED, updated_at=utcnow()))
        for a in (anxin, kangning)
    ]
    on_loop(reactor_thread, daemon, *grown, later=600)
    assert told(tmp_path)[2:] == [("kangning", "escalated")]

    typo = post(base, "/silences", fields | {"matchers": "produkt=anxin-e", "step": "preview"})
    assert "静默规则有误：produkt=anxin-e" in typo and "（0 条）" in typo
    bad = post(base, "/silences", fields | {"matchers": "produkt=x", "step": "save"}, 400)
    assert "produkt" in bad and len(journal(tmp_path, "silence")) == 1
    late = post(base, "/silences", fields | {"duration": "soon", "step": "preview"}, 400)
    assert "静默规则有误" in late and "soon" in late
    post(base, f"/silences/{added['id']}/expire", {"csrf": token(listed)})
    assert [e["action"] for e in journal(tmp_path, "silence")] == ["add", "expire"]
    assert "已结束" in page(base, "/silences")


def test_foreign_hosts_pages_and_forms_without_the_token_are_refused(
    opened: tuple[str, Alert, str],
    reactor_thread: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    base, anxin, form = opened
    ack = {"action": "ack", "by": "李四"}

    assert "127.0.0.1" in page(base, "/", 403, Host="evil.example:9414")
    assert "校验码" in post(base, link(anxin), ack, 403)
    assert "校验码" in post(base, link(anxin), ack | {"csrf": "guessed"}, 403)
    assert "控制台页面" in post(
        base, link(anxin), ack | {"csrf": form}, 403, "https://evil.example"
    )
    assert not journal(tmp_path, "handling")

    # Beyond this machine, until there is sign-in: a page saying so, nothing else.
    other = tmp_path / "wide"
    other.mkdir()
    path = write(other, listen="0.0.0.0:0")
    wide = Daemon(path)
    with serving(wide, reactor_thread):
        there = f"http://127.0.0.1:{wide.get(HttpServer).port}"
        refused = page(there, "/", 403)
        assert "0.0.0.0:0" in refused and "127.0.0.1" in refused and "<form" not in refused
        assert "0.0.0.0:0" in post(there, "/silences", {"csrf": form}, 403)
    assert "console at http://0.0.0.0:0/ is OFF" in check_config(path)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("console at http://0.0.0.0:0/ is OFF" in m for m in warned)


def test_a_failing_page_says_so_and_the_others_still_answer(
    opened: tuple[str, Alert, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, anxin, _ = opened

    def broken(*args: Any) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr("yujing.app.console.pages.open_groups", broken)
    assert "内部错误" in page(base, "/", 500)
    assert "群体投诉苗头" in page(base, link(anxin))
