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
