"""A real redis-server for the tests of shared crawls: its own port, its own temp dir.

scripts/test installs Debian's ``redis-server`` when it is missing; without it the tests fail
with what to install rather than being skipped.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

__all__ = ["RedisServer", "running_redis"]


@dataclass(frozen=True)
class RedisServer:
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server on a free local port, its files under ``tmp_path``; stopped on exit.
    Fails the test (never skips it) when redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed: run scripts/test (it installs it) or "
            "`apt-get install redis-server`",
            pytrace=False,
        )
    port = _free_port()
    workdir = tmp_path / "redis"
    workdir.mkdir()
    process = subprocess.Popen(
        # No persistence and local only: a scratch server for one test.
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(workdir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    server = RedisServer(port)
    try:
        client = redis.Redis.from_url(
            server.url, retry_on_error=[redis.ConnectionError], socket_connect_timeout=1
        )
        _wait_ready(client, process, workdir)
        client.close()
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_ready(client: redis.Redis, process: subprocess.Popen[bytes], workdir: Path) -> None:
    for _ in range(200):
        if process.poll() is not None:
            log = (workdir / "redis.log").read_text(errors="replace")
            pytest.fail(f"redis-server exited with {process.returncode}:\n{log}", pytrace=False)
        try:
            if client.ping():
                return
        except redis.ConnectionError:
            time.sleep(0.05)
    pytest.fail("redis-server did not answer PING within 10 seconds", pytrace=False)
