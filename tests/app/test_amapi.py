"""Alertmanager's API (v2) on the daemon's HTTP server, over real HTTP on 127.0.0.1: yujing's
open waves, the notifier's groups and the silences, every answer checked against Alertmanager's
own specification (tests/data/alertmanager/openapi.yaml)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from yujing.alerts import Action, Alert, AlertEvent, AlertState, BurstFacts, EventKind, Severity
from yujing.app import ops
from yujing.app.components.delivery import Delivery
from yujing.app.components.http import HttpServer
from yujing.app.daemon import Daemon
from yujing.records import format_time, utcnow
from yujing.store import Store

from . import amspec
from .test_http import serving

STARTED = utcnow().replace(microsecond=0) - timedelta(minutes=40)


def write(tmp_path: Path, listen: str | None = "127.0.0.1:0") -> Path:
    path = tmp_path / "yujing.yaml"
    config = {
        "storage": {"path": str(tmp_path / "y.db")},
        "alerts_file": None,
        "http": {"listen": listen},
        "products": [
            {"id": "anxin-e", "name": "安心e生医疗险"},
            {"id": "kangning", "name": "康宁"},
        ],
        "categories": [{"id": "claims", "name": "理赔", "keywords": ["理赔"]}],
        "notify": {
            "receivers": [{"name": "file", "type": "file", "path": str(tmp_path / "out.jsonl")}],
            "route": {"receiver": "file", "group_by": ["product"], "group_wait": "0s"},
            "inhibit_rules": [
                {
                    "source_matchers": ["kind=burst", 'category=""'],
                    "target_matchers": ["kind=burst", "category=~.+"],
                    "equal": ["product"],
                }
            ],
        },
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def wave(product: str, category: str | None = None, severity: Severity = Severity.ORANGE) -> Alert:
    key = f"burst:{product}" + (f"/{category}" if category else "")
    labels = {"kind": "burst", "product": product} | ({"category": category} if category else {})
    return Alert(
        key=key,
        id=f"{key}@{STARTED:%Y%m%dT%H%M%SZ}",
        severity=severity,
        state=AlertState.FIRING,
        started_at=STARTED,
        updated_at=STARTED,
        labels=labels,
        reasons=("1小时内 23 条投诉，平时约 2 条",),
        burst=BurstFacts(
            window_start=STARTED - timedelta(hours=1),
            window_end=STARTED,
            count=23,
            baseline=2.0,
            complainants=15,
            samples=(
                {"id": "p1", "title": "理赔被拒，客服推脱", "url": "https://bbs.example.cn/t/1"},
            ),
        ),
    )


@pytest.fixture
def served(tmp_path: Path, reactor_thread: Any) -> Iterator[tuple[Daemon, str]]:
    daemon = Daemon(write(tmp_path))
    with serving(daemon, reactor_thread):
        yield daemon, f"http://127.0.0.1:{daemon.get(HttpServer).port}"


def on_loop(reactor_thread: Any, daemon: Daemon, *events: AlertEvent, later: float = 0) -> None:
    """As the daemon's detection does: store each alert and put its event in its groups; then
    deliver, ``later`` seconds on (past group_interval, so each changed group is looked at)."""

    async def run() -> None:
        now = utcnow()
        with daemon.store.transaction():
            for event in events:
                daemon.store.alerts.save(event.alert)
                daemon.pipeline.notifier.submit(event, now)
        async with daemon.get(Delivery).lock:
            await daemon.pipeline.notifier.deliver_due_async(now + timedelta(seconds=later))

    reactor_thread.run(run())


def call(
    base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def api(base: str, method: str, path: str, data: Any = None, status: int = 200) -> Any:
    """The answer's JSON, checked against the specification."""
    body = json.dumps(data).encode() if data is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    got, answer = call(base, method, path, body, headers)
    assert got == status, answer
    return amspec.check(method, path, got, answer)


def refused(base: str, method: str, path: str, status: int, **kwargs: Any) -> str:
    """An answer the specification has no entry for (403, 413, ...): Alertmanager's error
    shape, a JSON string, saying why."""
    got, answer = call(base, method, path, **kwargs)
    assert got == status, answer
    message = json.loads(answer)
    assert isinstance(message, str) and message
    return message


def told(tmp_path: Path) -> list[tuple[str, str]]:
    """(product, event) of each alert the file receiver has been told of."""
    out = tmp_path / "out.jsonl"
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    return [(a["product"], a["event"]) for n in map(json.loads, lines) for a in n["alerts"]]


def silence_body(*matchers: tuple[str, str], hours: float = 2) -> dict[str, Any]:
    now = utcnow()
    body = {
        "matchers": [
            {"name": n, "value": v, "isRegex": False, "isEqual": True} for n, v in matchers
        ],
        "startsAt": now.isoformat().replace("+00:00", "Z"),
        "endsAt": (now + timedelta(hours=hours)).isoformat().replace("+00:00", "Z"),
        "createdBy": "张三",
        "comment": "理赔系统故障，已知",
    }
    amspec.check_request("postableSilence", body)
    return body


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


def test_a_silence_is_replaced_by_its_id_and_bad_ones_are_refused(
    served: tuple[Daemon, str],
) -> None:
    _, base = served
    first = api(base, "POST", "/api/v2/silences", silence_body(("product", "kangning")))
    replacement = silence_body(("product", "kangning"), hours=4) | {"id": first["silenceID"]}
    second = api(base, "POST", "/api/v2/silences", replacement)["silenceID"]
    assert second != first["silenceID"]
    states = {s["id"]: s["status"]["state"] for s in api(base, "GET", "/api/v2/silences")}
    assert states == {first["silenceID"]: "expired", second: "active"}

    unknown = silence_body(("product", "kangning")) | {"id": "0000dead"}
    assert "0000dead" in api(base, "POST", "/api/v2/silences", unknown, status=404)
    typo = api(base, "POST", "/api/v2/silences", silence_body(("produkt", "kangning")), status=400)
    assert "produkt" in typo and "product" in typo
    backwards = silence_body(("product", "kangning"), hours=-1)
    assert "end" in api(base, "POST", "/api/v2/silences", backwards, status=400)
    for body in (b"{not json", b"[]", b'{"matchers": []}'):
        got, answer = call(
            base, "POST", "/api/v2/silences", body, {"Content-Type": "application/json"}
        )
        assert got == 400
        assert isinstance(amspec.check("POST", "/api/v2/silences", got, answer), str)
    # A body that is not JSON by its type, or too large, is refused before it is read.
    as_form = json.dumps(silence_body(("product", "kangning"))).encode()
    got, answer = call(base, "POST", "/api/v2/silences", as_form, {"Content-Type": "text/plain"})
    assert got == 400 and "application/json" in amspec.check(
        "POST", "/api/v2/silences", got, answer
    )
    huge = b'{"comment": "' + b"x" * 100_000 + b'"}'
    message = refused(
        base,
        "POST",
        "/api/v2/silences",
        413,
        body=huge,
        headers={"Content-Type": "application/json"},
    )
    assert "64" in message
    assert "0000dead" in refused(base, "DELETE", "/api/v2/silence/0000dead", 404)
    got, answer = call(base, "GET", "/api/v2/silence/0000dead")
    assert got == 404 and "0000dead" in amspec.check("GET", "/api/v2/silence/x", got, answer)
    assert [s["id"] for s in api(base, "GET", "/api/v2/silences")] == [second, first["silenceID"]]
    assert api(base, "GET", "/api/v2/silences?creator=%E6%9D%8E%E5%9B%9B") == []  # 李四
    assert len(api(base, "GET", "/api/v2/silences?creator=%E5%BC%A0%E4%B8%89")) == 2  # 张三


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
    checked = subprocess.run(
        [sys.executable, "-m", "yujing", "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert "Alertmanager API at http://0.0.0.0:0/api/v2/" in checked.stdout
    assert "ANYONE" in checked.stdout and "refused (403)" in checked.stdout


# On the PATH, or where scripts/test puts it (taken out of Debian's prometheus-alertmanager).
AMTOOL = shutil.which("amtool") or shutil.which("amtool", path=str(Path(sys.executable).parent))


def amtool(base: str, *args: str) -> subprocess.CompletedProcess:
    assert AMTOOL is not None
    return subprocess.run(
        [AMTOOL, f"--alertmanager.url={base}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
    )


@pytest.mark.skipif(
    AMTOOL is None, reason="amtool (Debian's prometheus-alertmanager) not installed"
)
def test_amtool_reads_the_waves_and_adds_queries_and_expires_silences(
    served: tuple[Daemon, str], reactor_thread: Any, tmp_path: Path
) -> None:
    daemon, base = served
    waves = [AlertEvent(EventKind.FIRING, wave(p)) for p in ("anxin-e", "kangning")]
    on_loop(reactor_thread, daemon, *waves)

    queried = amtool(base, "alert", "query", "product=anxin-e", "-o", "json")
    assert queried.returncode == 0, queried.stderr
    [found] = json.loads(queried.stdout)
    assert found["labels"] == {"kind": "burst", "product": "anxin-e", "severity": "orange"}
    assert found["annotations"]["summary"] == "【橙色预警】安心e生医疗险 群体投诉苗头"

    added = amtool(
        base, "silence", "add", "product=anxin-e", "--comment=系统故障", "--author=李四", "-d", "1h"
    )
    assert added.returncode == 0, added.stderr
    sid = added.stdout.strip()
    listed = amtool(base, "silence", "query", "-o", "json")
    assert [(s["id"], s["createdBy"], s["comment"]) for s in json.loads(listed.stdout)] == [
        (sid, "李四", "系统故障")
    ]
    # amtool leaves silenced alerts out unless asked: the silence is honoured where it reads.
    shown = amtool(base, "alert", "query", "-o", "simple")
    assert "【橙色预警】康宁" in shown.stdout and "安心e生" not in shown.stdout, shown.stdout
    assert "安心e生" in amtool(base, "alert", "query", "--silenced", "-o", "simple").stdout

    expired = amtool(base, "silence", "expire", sid)
    assert expired.returncode == 0, expired.stderr
    assert amtool(base, "silence", "query", "-q").stdout.strip() == ""
    assert sid in amtool(base, "silence", "query", "--expired", "-q").stdout
    status = amtool(base, "cluster", "show")
    assert status.returncode == 0 and "disabled" in status.stdout
    own = amtool(base, "--version")
    if "version 0.25.0" in own.stdout + own.stderr:
        assert "are different" not in status.stderr  # the version it speaks as is amtool's own


def test_a_failure_is_answered_as_alertmanager_answers_it(
    served: tuple[Daemon, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base = served

    def broken(*args: Any) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr("yujing.app.components.alertmanager.Waves", broken)
    assert "internal error" in api(base, "GET", "/api/v2/alerts", status=500)
    assert api(base, "GET", "/api/v2/silences") == []  # the rest still answers
