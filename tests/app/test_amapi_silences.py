"""Silences through Alertmanager's API and its own tool: replaced by id, refused with what to fix,
the same as ``yujing silence``'s both ways, and amtool's (Debian's prometheus-alertmanager)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from yujing.alerts import AlertEvent, EventKind
from yujing.app.daemon import Daemon

from . import amspec
from .amapi_kit import api, call, on_loop, refused, silence_body, wave


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
    # Posting with the id of one that is over adds a new one, as Alertmanager does.
    again = silence_body(("product", "kangning"), hours=1) | {"id": first["silenceID"]}
    third = api(base, "POST", "/api/v2/silences", again)["silenceID"]
    assert third not in (first["silenceID"], second)
    assert api(base, "DELETE", f"/api/v2/silence/{third}") is None

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
    listed = [s["id"] for s in api(base, "GET", "/api/v2/silences")]
    assert listed[0] == second and set(listed) == {second, first["silenceID"], third}
    assert api(base, "GET", "/api/v2/silences?creator=%E6%9D%8E%E5%9B%9B") == []  # 李四
    assert len(api(base, "GET", "/api/v2/silences?creator=%E5%BC%A0%E4%B8%89")) == 3  # 张三


def test_a_silence_made_with_yujing_silence_add_reads_as_alertmanagers(
    served: tuple[Daemon, str], tmp_path: Path
) -> None:
    _, base = served
    added = subprocess.run(
        [sys.executable, "-m", "yujing", "silence", "add", "severity=~red|orange", "product!=kangning",
         "--comment", "夜间演练", "--author", "王五", "-c", str(tmp_path / "yujing.yaml")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    [listed] = api(base, "GET", "/api/v2/silences")
    assert listed["id"] == added.stdout.split()[0]
    assert listed["matchers"] == [
        {"name": "severity", "value": "red|orange", "isRegex": True, "isEqual": True},
        {"name": "product", "value": "kangning", "isRegex": False, "isEqual": False},
    ]
    assert (listed["createdBy"], listed["comment"], listed["status"]) == (
        "王五",
        "夜间演练",
        {"state": "active"},
    )


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
