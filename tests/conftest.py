from __future__ import annotations

# ---------------------------------------------------------------- Twisted reactor (crawlers)
# Scrapy runs on Twisted's asyncio reactor, which must be installed before anything imports
# twisted.internet.reactor and only once per process; see tests/support/testkit/reactor.py.
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from testkit import reactor as reactor_helpers


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
