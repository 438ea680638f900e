"""The daemon's signals: how its parts hear of each other's work without calling each other.

As Scrapy's ``crawler.signals``: a part connects a handler in its ``from_daemon``
(``daemon.signals.connect(self.detect, signal=posts_accepted)``) and whoever did the work sends
the signal with its keyword arguments. The sender knows no receiver, so a part is added or left
out without touching the others. Handlers run in the order they were connected (the order of
``COMPONENTS``); a handler takes every keyword argument its signal is sent with.

Signals (and what they are sent with):

* ``posts_accepted`` (``source``: its name, ``count``): new posts of a source are committed.
* ``alerts_raised`` (``events``: the ``AlertEvent``s): an evaluation raised or resolved alerts.
* ``source_ran`` (``report``: a ``SourceReport``): a run of a source is recorded.
* ``config_reloading`` (none): a reload is about to be tried; it may still fail.
* ``config_reloaded`` (``change``: a ``Reload``): the daemon has switched to the new config.
* ``posts_pruning`` (none): retention is about to delete old posts; each reader of posts
  answers the posts cursor it has read up to (None when it reads none).
* ``stopping`` (none): shutdown has begun; the parts are stopped next, in order.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

__all__ = [
    "SignalManager",
    "alerts_raised",
    "config_reloaded",
    "config_reloading",
    "posts_accepted",
    "posts_pruning",
    "source_ran",
    "stopping",
]

log = logging.getLogger("yujing.daemon")


class Signal:
    """A signal is its own identity; the name is for the log."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<signal {self.name}>"


posts_accepted = Signal("posts_accepted")
alerts_raised = Signal("alerts_raised")
source_ran = Signal("source_ran")
config_reloading = Signal("config_reloading")
config_reloaded = Signal("config_reloaded")
posts_pruning = Signal("posts_pruning")
stopping = Signal("stopping")

Handler = Callable[..., Any]


class SignalManager:
    """Handlers by signal; ``send`` raises, ``send_catch_log`` logs what a handler raised."""

    def __init__(self) -> None:
        self._handlers: dict[Signal, list[Handler]] = {}

    def connect(self, handler: Handler, signal: Signal) -> None:
        handlers = self._handlers.setdefault(signal, [])
        if handler not in handlers:
            handlers.append(handler)

    def disconnect(self, handler: Handler, signal: Signal) -> None:
        handlers = self._handlers.get(signal, [])
        if handler in handlers:
            handlers.remove(handler)

    def handlers(self, signal: Signal) -> list[Handler]:
        return list(self._handlers.get(signal, ()))

    def send(self, signal: Signal, **kwargs: Any) -> list[tuple[Handler, Any]]:
        """Call every handler; the first to raise stops the rest and raises to the sender (for
        signals whose sender must not go on as if all were told: a reload, a prune)."""
        return [(h, h(**kwargs)) for h in self.handlers(signal)]

    def send_catch_log(self, signal: Signal, **kwargs: Any) -> list[tuple[Handler, Any]]:
        """Call every handler; one that raises is logged, and its answer is the exception."""
        return [(h, _caught(signal, h, lambda h=h: h(**kwargs))) for h in self.handlers(signal)]

    async def send_catch_log_async(
        self, signal: Signal, **kwargs: Any
    ) -> list[tuple[Handler, Any]]:
        """As ``send_catch_log``; a handler's coroutine is awaited before the next is called."""
        answers = []
        for handler in self.handlers(signal):
            answer = _caught(signal, handler, lambda h=handler: h(**kwargs))
            if inspect.isawaitable(answer):
                try:
                    answer = await answer
                except Exception as exc:
                    log.exception("%s: handler %s failed", signal.name, _name(handler))
                    answer = exc
            answers.append((handler, answer))
        return answers


def _caught(signal: Signal, handler: Handler, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as exc:
        log.exception("%s: handler %s failed", signal.name, _name(handler))
        return exc


def _name(handler: Handler) -> str:
    return getattr(handler, "__qualname__", repr(handler))
