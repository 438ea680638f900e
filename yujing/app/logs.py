"""The daemon's log: readable lines by default, one JSON object per line on request.

Both carry the same events. In JSON each line is an object with ``time``, ``level``,
``logger`` and ``message``, plus the fields the event names: ``source`` for a collection run,
``alert`` (the alert's key) for an alert, ``receiver`` for a delivery, and ``exception`` with
the traceback when there is one, so a log collector can filter by them without parsing text.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, tzinfo
from typing import Any, Literal

__all__ = ["JsonFormatter", "ZoneFormatter", "setup_logging"]

TEXT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# Attributes every LogRecord has; the rest came in through ``extra=`` and become fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class ZoneFormatter(logging.Formatter):
    """Log times in the team's time zone, whatever the machine's (UTC in containers)."""

    def __init__(self, fmt: str, tz: tzinfo | None):
        super().__init__(fmt)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, self.tz).strftime("%Y-%m-%d %H:%M:%S")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line whatever the message holds (newlines in a
    file name are escaped, so no line can pass for another event)."""

    def __init__(self, tz: tzinfo | None = None):
        super().__init__()
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, self.tz).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in line:
                line[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def setup_logging(
    verbose: bool, tz: tzinfo | None = None, fmt: Literal["text", "json"] = "text"
) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(tz) if fmt == "json" else ZoneFormatter(TEXT, tz))
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
