"""One record of a run of a source, whichever way its posts came (a crawl, an inbox pass, a push).

``record_run`` writes what a run says everywhere it is read: the runs table (``yujing status``,
``/readyz``), the metrics (``/metrics``), the source's health (the source-health rule, which
raises an alert when a source keeps failing), the log line, and the ``source_ran`` signal. Its
error is shown redacted (``shown_error``) in all of them. What it records into is a ``RunBook``:
the daemon's (``RunBook.of_daemon``), or one a command builds from its own store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from yujing.config import SourceBase
from yujing.crawlers.collect import Collected
from yujing.detector.source_health import RunOutcome
from yujing.printable import printable
from yujing.store import Store

from . import signals

if TYPE_CHECKING:
    from yujing.detector.redact import Redactor

    from .metrics import Metrics

__all__ = [
    "INTERRUPTED",
    "RunBook",
    "RunLog",
    "SourceReport",
    "record_interrupted",
    "record_run",
    "shown_error",
]

log = logging.getLogger("yujing.daemon")

INTERRUPTED = "interrupted by shutdown"


# What a run of a source brought and what went wrong: what a collector returns, and what a push
# or ``yujing ingest`` says of its own run alike.
SourceReport = Collected


def shown_error(error: str | None, redactor: Redactor) -> str | None:
    """An error as stored and shown: it may quote a file name, a URL or what a site or a client
    sent, so control characters are escaped, personal data redacted like a post's, and a URL's
    ${ENV} values written back as their references."""
    if not error:
        return error
    return redactor.redact_message(printable(error, backslash=False))


# How the log speaks of a run of each channel (``RunOutcome.channel``): who, and what it brought.
_WORDS = {"": ("source {}", "items"), "push": ("push to {}", "records")}


class RunLog:
    """What a source's runs put in the log: quiet when nothing happens, each failure once.

    A run that brought posts is an INFO line; one that found nothing new is DEBUG. An error
    is a WARNING the first time it is seen (with its traceback when the run crashed); the
    same error again on the next runs is DEBUG, with a WARNING reminder at most every
    ``REMIND`` seconds while it lasts, and the first good run after it says the source
    recovered. A file quarantined is said by the inbox, once, not again here. (The spiders say
    their errors at DEBUG: this is where a failing source is told.) Each channel of a source
    (its own runs, pushes) is told apart. ``yujing status`` and ``/metrics`` keep every run's
    outcome.
    """

    REMIND = 3600.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        # (source, channel) -> (the error last logged, when it was first said, when last said)
        self._failing: dict[tuple[str, str], tuple[str, float, float]] = {}

    def tell(self, report: SourceReport, crash: Exception | None = None, channel: str = "") -> None:
        who, unit = _WORDS.get(channel, _WORDS[""])
        name, fields = who.format(report.source), {"source": report.source}
        key = (report.source, channel)
        error = report.last_error
        if report.problem == "quarantined":
            # Bad files, not a failing source: the inbox said each as it set it aside, and the
            # next run is no recovery.
            error = None
        now = self.clock()
        told = self._failing.get(key)
        if error is not None and (told is None or told[0] != error):
            self._failing[key] = (error, now, now)
            log.warning("%s: %s", name, error, exc_info=crash, extra=fields)
        elif error is not None and told is not None and now - told[2] >= self.REMIND:
            self._failing[key] = (error, told[1], now)
            minutes = round((now - told[1]) / 60)
            log.warning("%s: still failing (%d min): %s", name, minutes, error, extra=fields)
        elif error is not None:
            log.debug("%s: still %s", name, error, extra=fields)
        elif self._failing.pop(key, None) is not None:
            log.info("%s recovered", name, extra=fields)
        level = logging.INFO if report.accepted else logging.DEBUG
        log.log(level, "%s: %d %s, %d new", name, report.items, unit, report.accepted, extra=fields)


@dataclass(frozen=True)
class RunBook:
    """Where runs are recorded. ``health`` counts a complete run toward the source's health
    (``Pipeline.source_ran``); ``metrics`` and ``signals`` are the daemon's (None: not kept)."""

    store: Store
    redactor: Redactor
    told: RunLog
    health: Callable[[SourceBase, RunOutcome], Any] | None = None
    metrics: Metrics | None = None
    signals: signals.SignalManager | None = None

    @classmethod
    def of_daemon(cls, daemon: Any, told: RunLog) -> RunBook:
        """The daemon's, with its pipeline of the moment (a reload replaces it)."""
        pipeline = daemon.pipeline
        return cls(
            daemon.store,
            pipeline.understander.redactor,
            told,
            pipeline.source_ran,
            daemon.metrics,
            daemon.signals,
        )


def record_run(
    book: RunBook,
    source: SourceBase,
    report: SourceReport,
    *,
    run_id: int | None = None,
    seconds: float = 0.0,
    crash: Exception | None = None,
    channel: str = "",
) -> SourceReport:
    """Record one complete run of ``source`` (begun as ``run_id``, else now); the report as
    recorded, its error redacted."""
    report = replace(report, last_error=shown_error(report.last_error, book.redactor))
    runs = book.store.runs
    runs.finish(
        run_id if run_id is not None else runs.start(source.name),
        report.items,
        report.accepted,
        report.errors,
        report.last_error,
    )
    if book.metrics is not None:
        book.metrics.source_run(report, seconds, time.time())
    if book.health is not None:
        outcome = RunOutcome(
            report.items, report.errors, report.last_error, report.problem, channel
        )
        try:
            book.health(source, outcome)
        except Exception:  # the run is recorded; a health alert that fails must not stop it
            log.exception("recording the health of source %s failed", source.name)
    book.told.tell(report, crash, channel)
    if book.signals is not None:
        book.signals.send_catch_log(signals.source_ran, report=report)
    return report


def record_interrupted(book: RunBook, run_id: int, report: SourceReport) -> None:
    """A run cut short by a shutdown: kept in the runs table, but it says nothing of the
    source's health (nor is it counted in the metrics)."""
    book.store.runs.finish(run_id, report.items, report.accepted, 0, INTERRUPTED, complete=False)
