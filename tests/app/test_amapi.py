"""Alertmanager's API (v2) on the daemon's HTTP server, over real HTTP on 127.0.0.1: yujing's
open waves, the notifier's groups and the silences, every answer checked against Alertmanager's
own specification (tests/data/alertmanager/openapi.yaml)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from yujing.alerts import Action, AlertEvent, EventKind, Severity
from yujing.app import ops
from yujing.app.components.http import HttpServer
from yujing.app.daemon import Daemon
from yujing.records import format_time, utcnow
from yujing.store import Store

from .amapi_kit import STARTED, api, check_config, on_loop, refused, silence_body, told, wave, write
from .test_http import serving


def test_open_waves_and_the_notifiers_groups_read_as_alertmanager_shows_them(
    served: tuple[Daemon, str], reactor_thread: Any, tmp_path: Path
) -> None:
    daemon, base = served
    product, category, other = wave("anxin-e"), wave("anxin-e", "claims"), wave("kangning")
    events = [AlertEvent(EventKind.FIRING, a) for a in (product, category, other)]
    on_loop(reactor_thread, daemon, *events)
    assert ("anxin-e", "firing") in told(tmp_path)
    store = Store(tmp_path / "y.db")
    try:
        ops.handle(store, daemon.config, product.id, Action.ACK, by="李四", via="console")
    finally:
        store.close()

    alerts = {
        a["labels"].get("category", a["labels"]["product"]): a
        for a in api(base, "GET", "/api/v2/alerts")
    }
    assert set(alerts) == {"anxin-e", "claims", "kangning"}
    anxin = alerts["anxin-e"]
    assert anxin["labels"] == {"kind": "burst", "product": "anxin-e", "severity": "orange"}
    notes = anxin["annotations"]
    assert notes["summary"] == "【橙色预警】安心e生医疗险 群体投诉苗头"
    assert notes["description"] == "1小时内 23 条投诉，平时约 2 条"
    assert "https://bbs.example.cn/t/1" in notes["samples"] and "23 条投诉" in notes["counts"]
    assert notes["alert_id"] == product.id
    assert notes["handling"].startswith("李四 负责 · 确认用时 ")
    assert alerts["kangning"]["annotations"]["handling"] == "未确认"
    assert anxin["receivers"] == [{"name": "file"}]
    assert anxin["status"] == {"state": "active", "silencedBy": [], "inhibitedBy": []}
    assert anxin["startsAt"] == format_time(STARTED)
    # The shipped inhibit rule: the product's wave keeps its category wave quiet.
    assert alerts["claims"]["status"] == {
        "state": "suppressed",
        "silencedBy": [],
        "inhibitedBy": [anxin["fingerprint"]],
    }
    assert len({a["fingerprint"] for a in alerts.values()}) == 3

    def products(query: str) -> list[str]:
        found = api(base, "GET", "/api/v2/alerts" + query)
        return sorted(a["labels"].get("category", a["labels"]["product"]) for a in found)

    assert products('?filter=product="anxin-e"') == ["anxin-e", "claims"]
    assert products('?filter={product=~"anx.*",category=""}') == ["anxin-e"]
    assert products("?filter=product%3Dkangning&filter=severity%3Dred") == []
    assert products("?inhibited=false") == ["anxin-e", "kangning"]
    assert products("?active=false") == ["claims"]
    assert products("?receiver=fi.*") == ["anxin-e", "claims", "kangning"]
    assert products("?receiver=fil") == []  # a whole-name regex, as Alertmanager's
    for bad in ("?filter=produkt%3D%3Dx", "?active=perhaps", "?receiver=%28"):
        message = api(base, "GET", "/api/v2/alerts" + bad, status=400)
        assert isinstance(message, str) and message

    # The notifier's own groups: one per product (group_by: [product]), both waves of anxin-e
    # in one, as the message told them.
    groups = api(base, "GET", "/api/v2/alerts/groups")
    store = Store(tmp_path / "y.db")
    try:
        kept = [(g.receiver, g.labels) for g in store.groups.all()]
    finally:
        store.close()
    assert [(g["receiver"]["name"], g["labels"]) for g in groups] == kept
    assert [g["labels"] for g in groups] == [{"product": "anxin-e"}, {"product": "kangning"}]
    assert [a["annotations"]["alert_id"] for a in groups[0]["alerts"]] == [product.id, category.id]
    uninhibited = api(base, "GET", "/api/v2/alerts/groups?inhibited=false&filter=product%3Danxin-e")
    assert [[a["annotations"]["alert_id"] for a in g["alerts"]] for g in uninhibited] == [
        [product.id]
    ]
    assert api(base, "GET", "/api/v2/alerts/groups?receiver=nobody") == []

    status = api(base, "GET", "/api/v2/status")
    assert status["cluster"] == {"status": "disabled"}
    # What karma chooses its dialect by (a semantic version, 0.17 or later); yujing's own beside.
    assert status["versionInfo"]["version"] == "0.25.0"
    assert status["versionInfo"]["revision"].startswith("yujing ")
    assert "receiver: file" in status["config"]["original"]
    assert "token" not in status["config"]["original"]
    assert api(base, "GET", "/api/v2/receivers") == [{"name": "file"}]

    # A resolved wave is no longer open.
    on_loop(reactor_thread, daemon, AlertEvent(EventKind.RESOLVED, other.resolve(utcnow())))
    assert [g["labels"] for g in api(base, "GET", "/api/v2/alerts/groups")] == [
        {"product": "anxin-e"}
    ]
    assert "kangning" not in products("")


def test_a_silence_posted_through_the_api_mutes_the_waves_next_notification(
    served: tuple[Daemon, str], reactor_thread: Any, tmp_path: Path
) -> None:
    daemon, base = served
    anxin, kangning = wave("anxin-e"), wave("kangning")
    on_loop(reactor_thread, daemon, *(AlertEvent(EventKind.FIRING, a) for a in (anxin, kangning)))
    assert sorted(told(tmp_path)) == [("anxin-e", "firing"), ("kangning", "firing")]

    sid = api(base, "POST", "/api/v2/silences", silence_body(("product", "anxin-e")))["silenceID"]
    [listed] = api(base, "GET", "/api/v2/silences")
    assert listed["id"] == sid and listed["status"] == {"state": "active"}
    assert listed["matchers"] == [
        {"name": "product", "value": "anxin-e", "isRegex": False, "isEqual": True}
    ]
    assert (listed["createdBy"], listed["comment"]) == ("张三", "理赔系统故障，已知")
    assert api(base, "GET", f"/api/v2/silence/{sid}") == listed
    assert api(base, "GET", '/api/v2/silences?filter=product="kangning"') == []
    assert [s["id"] for s in api(base, "GET", "/api/v2/silences?filter=product%3D~anx.*")] == [sid]

    muted = [a for a in api(base, "GET", "/api/v2/alerts") if a["status"]["silencedBy"]]
    assert [(a["labels"]["product"], a["status"]) for a in muted] == [
        ("anxin-e", {"state": "suppressed", "silencedBy": [sid], "inhibitedBy": []})
    ]
    shown = api(base, "GET", "/api/v2/alerts?silenced=false")
    assert [a["labels"]["product"] for a in shown] == ["kangning"]

    # Both waves grow; past group_interval the notifier looks again: the silenced one is muted.
    grown = [
        AlertEvent(EventKind.ESCALATED, replace(a, severity=Severity.RED, updated_at=utcnow()))
        for a in (anxin, kangning)
    ]
    on_loop(reactor_thread, daemon, *grown, later=600)
    assert told(tmp_path)[2:] == [("kangning", "escalated")]

    # The same silence as `yujing silence add` makes: listed there, journalled with where.
    listed_cli = subprocess.run(
        [sys.executable, "-m", "yujing", "silence", "list", "-c", str(tmp_path / "yujing.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed_cli.returncode == 0, listed_cli.stderr
    assert sid in listed_cli.stdout and "product=anxin-e" in listed_cli.stdout
    assert "理赔系统故障，已知" in listed_cli.stdout

    # Expired through the API; at the wave's next change it is told again, with the escalation
    # the silence held back (news not yet told stays news).
    assert api(base, "DELETE", f"/api/v2/silence/{sid}") is None
    assert api(base, "GET", f"/api/v2/silence/{sid}")["status"] == {"state": "expired"}
    assert api(base, "DELETE", f"/api/v2/silence/{sid}") is None  # over already: so be it
    more = replace(anxin, severity=Severity.RED, updated_at=utcnow(), reasons=("又多了 9 条",))
    on_loop(reactor_thread, daemon, AlertEvent(EventKind.UPDATED, more), later=1200)
    assert told(tmp_path)[3:] == [("anxin-e", "escalated")]

    store = Store(tmp_path / "y.db")
    try:
        journal = [json.loads(e.body) for e in store.audit.entries() if e.kind == "silence"]
    finally:
        store.close()
    assert [(j["action"], j["id"], j["via"]) for j in journal] == [
        ("add", sid, "api"),
        ("expire", sid, "api"),
    ]


def test_writes_are_served_only_on_the_loopback_and_only_from_here(
    tmp_path: Path,
    reactor_thread: Any,
    served: tuple[Daemon, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, base = served
    body = json.dumps(silence_body(("product", "kangning"))).encode()
    as_json = {"Content-Type": "application/json"}
    # A web page cannot post here, nor reach the API through a name of its own.
    page = refused(
        base,
        "POST",
        "/api/v2/silences",
        403,
        body=body,
        headers=as_json | {"Origin": "https://evil.example"},
    )
    assert "evil.example" in page
    rebound = refused(base, "GET", "/api/v2/alerts", 403, headers={"Host": "evil.example:9414"})
    assert "loopback" in rebound
    assert api(base, "GET", "/api/v2/silences") == []

    # Listening beyond this machine: read-only until there is a sign-in.
    other = tmp_path / "wide"
    other.mkdir()
    path = write(other, listen="0.0.0.0:0")
    daemon = Daemon(path)
    with serving(daemon, reactor_thread):
        wide = f"http://127.0.0.1:{daemon.get(HttpServer).port}"
        message = refused(wide, "POST", "/api/v2/silences", 403, body=body, headers=as_json)
        assert "0.0.0.0:0" in message and "read-only" in message
        refused(wide, "DELETE", "/api/v2/silence/abc", 403)
        assert api(wide, "GET", "/api/v2/silences") == []
        assert api(wide, "GET", "/api/v2/alerts") == []
    assert any("ANYONE" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    checked = check_config(path)
    assert "Alertmanager API at http://0.0.0.0:0/api/v2/" in checked
    assert "ANYONE" in checked and "refused (403)" in checked


def test_a_failure_is_answered_as_alertmanager_answers_it(
    served: tuple[Daemon, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base = served

    def broken(*args: Any) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr("yujing.app.components.alertmanager.Waves", broken)
    assert "internal error" in api(base, "GET", "/api/v2/alerts", status=500)
    assert api(base, "GET", "/api/v2/silences") == []  # the rest still answers
