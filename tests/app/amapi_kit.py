"""What the Alertmanager API's tests share: a config, waves, driving the daemon's notifier, and
asking the API over real HTTP with every answer checked against the specification."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from yujing.alerts import Alert, AlertEvent, AlertState, BurstFacts, Severity
from yujing.app.components.delivery import Delivery
from yujing.app.daemon import Daemon
from yujing.records import utcnow

from . import amspec

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


def on_loop(reactor_thread: Any, daemon: Daemon, *events: AlertEvent, later: float = 0) -> None:
    """As the daemon's detection does: store each alert, journal its event and put it in its
    groups; then deliver, ``later`` seconds on (past group_interval, so each changed group is looked at)."""

    async def run() -> None:
        now = utcnow()
        with daemon.store.transaction():
            for event in events:
                daemon.store.alerts.save(event.alert)
                daemon.store.audit.append("alert", event.id, event.to_dict(), now)
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


def check_config(path: Path) -> str:
    """What ``yujing check-config`` prints of the config at ``path`` (which it finds valid)."""
    checked = subprocess.run(
        [sys.executable, "-m", "yujing", "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    return checked.stdout
