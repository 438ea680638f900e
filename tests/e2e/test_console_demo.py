"""The console over the store ``yujing demo --once`` leaves: its wave, as the PR team sees it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from yujing.alerts import AlertState
from yujing.app.components.http import HttpServer
from yujing.app.daemon import Daemon
from yujing.store import Store

from ..app.test_http import get, serving
from .conftest import ROOT


def test_the_console_shows_the_demos_wave_and_its_timeline(
    demo_once: tuple[Any, Path],
    tmp_path: Path,
    reactor_thread: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result, workdir = demo_once
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    copy = tmp_path / "demo"
    copy.mkdir()
    shutil.copy(workdir / "yujing.db", copy / "yujing.db")  # the session's store stays as it was
    monkeypatch.setenv("YUJING_DEMO_DIR", str(copy))
    store = Store(copy / "yujing.db", readonly=True)
    try:
        firing = {a.id for a in store.alerts.all(AlertState.FIRING)}
    finally:
        store.close()
    assert "burst:anxin-e" in " ".join(firing), "the demo leaves its wave open"

    daemon = Daemon(ROOT / "config" / "demo.yaml")
    with serving(daemon, reactor_thread):
        base = f"http://127.0.0.1:{daemon.get(HttpServer).port}"
        status, _, body = get(base + "/")
        listing = body.decode("utf-8")
        assert status == 200
        assert "product=anxin-e" in listing and "安心e生医疗险" in listing
        for alert_id in firing:
            assert quote(alert_id, safe="") in listing
        product = next(i for i in firing if "/" not in i.split("@")[0])
        status, _, body = get(base + "/wave/" + quote(product, safe=""))
        shown = body.decode("utf-8")
        assert status == 200
        assert "群体投诉苗头" in shown and "样本" in shown and "新预警" in shown
        assert 'href="https://' in shown or 'href="http://' in shown  # a sample's link
