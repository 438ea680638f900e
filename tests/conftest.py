from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- Twisted reactor (crawlers)
# Scrapy runs on Twisted's asyncio reactor, which must be installed before anything imports
# twisted.internet.reactor and only once per process; see tests/reactor_helpers.py.

from collections.abc import Callable, Coroutine, Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from tests import reactor_helpers  # noqa: E402


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
