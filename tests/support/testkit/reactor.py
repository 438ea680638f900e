"""Running coroutines on Twisted's asyncio reactor from plain (synchronous) pytest tests.

A Twisted reactor can be installed once per process and run once (it cannot restart after a
stop), while tests want to run many crawls. So ``install()`` puts the AsyncioSelectorReactor in
place at ``pytest_configure`` time, before any test module can import the default reactor, and
``ReactorThread`` runs that reactor once, in a background thread, for the whole session. Tests
submit coroutines to its loop and block on the result, the way the daemon awaits them on its own
loop. Tests that never ask for the reactor never start it, and ``asyncio.run`` elsewhere in the
suite keeps working because the reactor's loop is not the main thread's loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from scrapy.utils.reactor import install_reactor, is_asyncio_reactor_installed, is_reactor_installed

__all__ = ["REACTOR", "ReactorThread", "install"]

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
T = TypeVar("T")


def install() -> None:
    """Install the asyncio reactor unless it already is; fail loudly if another one is."""
    if is_reactor_installed():
        if not is_asyncio_reactor_installed():
            raise RuntimeError(
                "a non-asyncio Twisted reactor was installed before the test suite could install "
                f"{REACTOR}; something imported twisted.internet.reactor too early"
            )
        return
    install_reactor(REACTOR)
    # install_reactor made the reactor's loop the main thread's current loop. That loop will run
    # in ReactorThread, so give the main thread a loop of its own: code calling
    # asyncio.get_event_loop() here must not get a loop that is running on another thread.
    asyncio.set_event_loop(asyncio.new_event_loop())


class ReactorThread:
    """The installed reactor, running in a daemon thread until ``stop()``."""

    def __init__(self) -> None:
        from twisted.internet import reactor

        self.reactor: Any = reactor
        self.loop: asyncio.AbstractEventLoop = reactor._asyncioEventloop  # type: ignore[attr-defined]
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._main, name="twisted-reactor", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        if not self._running.wait(timeout):
            raise RuntimeError("the Twisted reactor did not start")

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.reactor.callWhenRunning(self._running.set)
        # No signal handlers: they can only be set from the main thread, and pytest owns Ctrl-C.
        self.reactor.run(installSignalHandlers=False)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run ``coro`` on the reactor's loop and return its result (or raise its exception)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"coroutine did not finish within {timeout}s") from None

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            # reactor.stop fires the shutdown triggers (thread pool, open connections) first.
            self.reactor.callFromThread(self.reactor.stop)
            self._thread.join(timeout)
