"""The command's log lines: one event per line, in the team's time zone, no personal data;
readable text by default, one JSON object per line on request.

Every line goes through one formatter, whoever logged it (yujing, Scrapy, the scheduler), so
what a log may not hold is kept out in one place:

* control characters in a message are escaped (``yujing.printable``): a newline or a terminal
  escape in a file name, a URL or an error a site sent cannot forge a line or hide one. The
  lines of a message that has several (a config's problems, a traceback) go on indented, so
  none of them can pass for an event of its own; in JSON the whole event is one line anyway;
* personal numbers and addresses are redacted as in posts (``detector.redact``): a phone
  number in a file name, a URL or an exception does not reach the log.

In JSON each line is an object with ``time``, ``level``, ``logger`` and ``message``, plus the
fields the event names: ``source`` for a collection run, ``alert`` (the alert's key) for an
alert, ``receiver`` and ``group`` (the notification's group key) for a delivery, and ``exception`` with the traceback when there is one, so
a log collector can filter by them without parsing text.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, tzinfo
from typing import Any, Literal

from yujing.detector.redact import Redactor
from yujing.printable import printable

__all__ = ["JsonFormatter", "SafeFormatter", "safe_text", "setup_logging"]

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
CONTINUATION = "\n    "

# Attributes every LogRecord has; the rest came in through ``extra=`` and become JSON fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def safe_text(text: str, redactor: Redactor) -> str:
    """``text`` with control characters escaped (newlines kept) and personal data redacted."""
    lines = [printable(line, backslash=False) for line in text.split("\n")]
    return redactor.redact_message(CONTINUATION.join(lines))


class SafeFormatter(logging.Formatter):
    """Times in the team's time zone, whatever the machine's (UTC in containers); see above."""

    def __init__(self, tz: tzinfo | None, redactor: Redactor | None = None):
        super().__init__(FORMAT)
        self.tz = tz
        self.redactor = redactor or Redactor()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, self.tz).strftime("%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        return safe_text(super().format(record), self.redactor)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line whatever the message holds, redacted alike."""

    def __init__(self, tz: tzinfo | None = None, redactor: Redactor | None = None):
        super().__init__()
        self.tz = tz
        self.redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        def clean(value: Any) -> Any:
            return self.redactor.redact_message(value) if isinstance(value, str) else value

        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, self.tz).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": clean(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in line:
                line[key] = clean(
                    value if isinstance(value, str | int | float | bool) else str(value)
                )
        if record.exc_info:
            line["exception"] = clean(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = clean(record.exc_text)
        return json.dumps(line, ensure_ascii=False)


def setup_logging(
    verbose: bool,
    tz: tzinfo | None = None,
    redactor: Redactor | None = None,
    fmt: Literal["text", "json"] = "text",
) -> None:
    handler = logging.StreamHandler()
    formatter = JsonFormatter(tz, redactor) if fmt == "json" else SafeFormatter(tz, redactor)
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    # Scrapy and the scheduler are chatty. A failing source is reported once per run by the
    # daemon (and in `yujing status`), so Scrapy's own retry tracebacks only show with -v; a run
    # skipped because the previous one is still going is normal, not a warning.
    # The Elasticsearch client warns at each retry of each request; the indexer says it once.
    quiet = {
        "scrapy": logging.CRITICAL,
        "apscheduler": logging.ERROR,
        "twisted": logging.ERROR,
        "elastic_transport": logging.ERROR,
    }
    for name in ("scrapy", "apscheduler", "twisted", "elastic_transport", "urllib3", "jieba"):
        level = logging.DEBUG if verbose else quiet.get(name, logging.WARNING)
        logging.getLogger(name).setLevel(level)
