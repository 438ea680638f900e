from __future__ import annotations

# ---------------------------------------------------------------- Twisted reactor (crawlers)
# Scrapy runs on Twisted's asyncio reactor, which must be installed before anything imports
# twisted.internet.reactor and only once per process; see tests/support/testkit/reactor.py.
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit import reactor as reactor_helpers
from testkit.redis import RedisServer, running_redis


def pytest_configure(config: pytest.Config) -> None:
    reactor_helpers.install()


@pytest.fixture(scope="session")
def reactor_thread() -> Iterator[reactor_helpers.ReactorThread]:
    """The reactor, running in a background thread for the rest of the session."""
    thread = reactor_helpers.ReactorThread()
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture
def in_reactor(
    reactor_thread: reactor_helpers.ReactorThread,
) -> Callable[..., Any]:
    """``in_reactor(coro, timeout=60)``: run a coroutine on the reactor's loop, return its result."""

    def run(coro: Coroutine[Any, Any, Any], timeout: float = 60.0) -> Any:
        return reactor_thread.run(coro, timeout)

    return run


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server of the test's own, for crawls shared between daemons."""
    with running_redis(tmp_path) as server:
        yield server
