"""Fixtures of the application's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from yujing.app.components.http import HttpServer
from yujing.app.daemon import Daemon

from .amapi_kit import write
from .test_http import serving


@pytest.fixture
def served(tmp_path: Path, reactor_thread: Any) -> Iterator[tuple[Daemon, str]]:
    """A daemon of ``amapi_kit.write``'s config serving on 127.0.0.1, and its base URL."""
    daemon = Daemon(write(tmp_path))
    with serving(daemon, reactor_thread):
        yield daemon, f"http://127.0.0.1:{daemon.get(HttpServer).port}"
