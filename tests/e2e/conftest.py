from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def yujing(
    *args: str, cwd: Path, timeout: float = 180, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the real command in its own process: each daemon gets a fresh Twisted reactor."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "yujing", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def run_yujing():
    return yujing


@pytest.fixture(scope="session")
def demo_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    """``yujing demo --once`` run once for the session: what it said, and its folder (the store,
    the alerts), which the tests only read."""
    workdir = tmp_path_factory.mktemp("demo-once") / "demo"
    result = yujing("demo", "--once", "--deadline", "90", "--dir", str(workdir), cwd=ROOT)
    return result, workdir
