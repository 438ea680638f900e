"""What every replay shares: events named through the daemon's lifecycle, the clock's drain,
times read in the config's zone, and how a replay tells what it left out (``Say``)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from yujing.alerts import Alert
from yujing.config import Detection
from yujing.records import parse_time

from ..lifecycle import Lifecycle

__all__ = [
    "DRAIN_WINDOWS",
    "MEASURE_DIGITS",
    "Emit",
    "Events",
    "ReplayInputError",
    "Say",
    "ceil_to",
    "logged",
    "longest_window",
    "parse_local_time",
]

log = logging.getLogger("yujing.replay")

MEASURE_DIGITS = 4  # significant digits kept of a fractional series (see measurement_scale)
DRAIN_WINDOWS = 6  # after the input, run the clock on this many windows for waves to resolve

Emit = Callable[[dict[str, Any]], None]  # one alert event line
# Told what a replay read differently or left out (a refused line, a series read as a
# measurement): the command line prints it; a library caller gets it in the log by default.
Say = Callable[[str], None]


def logged(line: str) -> None:
    log.warning("%s", line)


class ReplayInputError(Exception):
    """The input held nothing that could be replayed: every line or row was refused."""


class Events:
    """Names events through the daemon's lifecycle, so output matches what the daemon sends."""

    def __init__(self, emit: Emit, fmt: Callable[[datetime], str]):
        self.emit, self.fmt = emit, fmt
        self.lifecycle = Lifecycle()
        self.count = 0

    @property
    def firing(self) -> dict[str, Alert]:
        return self.lifecycle.firing

    def handle(self, alerts: list[Alert], fired_shift: timedelta = timedelta(0)) -> None:
        changes = self.lifecycle.name(alerts)
        self.lifecycle.apply(changes)
        for e in (c.event for c in changes if c.event is not None):
            line = e.to_dict()
            line["fired_at"] = self.fmt(e.alert.started_at - fired_shift)
            self.emit(line)
            self.count += 1


def ceil_to(ts: float, step: float) -> float:
    return math.ceil(ts / step) * step


def parse_local_time(value: str, tz: tzinfo = UTC) -> datetime:
    """An ISO time; one without a zone is in ``tz`` (the config's time zone)."""
    dt = datetime.fromisoformat(value.strip())
    return parse_time(dt if dt.tzinfo is not None else dt.replace(tzinfo=tz))


def longest_window(detection: Detection) -> float:
    rules = [detection.burst] + [detection.rule_for(p) for p in detection.products]
    return max(r.window for r in rules)
