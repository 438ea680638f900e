"""Twisted's asyncio reactor: Scrapy and the scheduler share one event loop in one process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["REACTOR", "install_asyncio_reactor", "run_in_reactor"]

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def install_asyncio_reactor() -> None:
    """Install Twisted's asyncio reactor once per process (before anything imports the reactor)."""
    from scrapy.utils.reactor import (
        install_reactor,
        is_asyncio_reactor_installed,
        is_reactor_installed,
    )

    if is_reactor_installed():
        if not is_asyncio_reactor_installed():
            raise RuntimeError("a non-asyncio Twisted reactor is already installed")
        return
    install_reactor(REACTOR)


def run_in_reactor(main: Callable[[], Any]) -> Any:
    """Run the coroutine ``main()`` on the asyncio reactor's loop until it finishes."""
    install_asyncio_reactor()
    from twisted.internet import reactor

    outcome: dict[str, Any] = {}

    async def wrapper() -> None:
        try:
            outcome["value"] = await main()
        except BaseException as exc:  # handed back to the caller below
            outcome["error"] = exc
        finally:
            reactor.stop()

    reactor.callWhenRunning(lambda: asyncio.ensure_future(wrapper()))
    reactor.run(installSignalHandlers=False)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
