"""The command's log lines: one event per line, in the team's time zone, no personal data.

Every line goes through one formatter, whoever logged it (yujing, Scrapy, the scheduler), so
what a log may not hold is kept out in one place:

* control characters in a message are escaped (``yujing.printable``): a newline or a terminal
  escape in a file name, a URL or an error a site sent cannot forge a line or hide one. The
  lines of a message that has several (a config's problems, a traceback) go on indented, so
  none of them can pass for an event of its own;
* personal numbers and addresses are redacted as in posts (``detector.redact``): a phone
  number in a file name, a URL or an exception does not reach the log.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, tzinfo

from yujing.detector.redact import Redactor
from yujing.printable import printable

__all__ = ["SafeFormatter", "safe_text", "setup_logging"]

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
CONTINUATION = "\n    "
# A URL in a line is redacted as a URL: its pieces are decoded first (tel=%2B86+139...).
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"']+")


def safe_text(text: str, redactor: Redactor) -> str:
    """``text`` with control characters escaped (newlines kept) and personal data redacted."""
    lines = [printable(line, backslash=False) for line in text.split("\n")]
    joined = CONTINUATION.join(lines)
    if "://" in joined:
        joined = _URL.sub(lambda m: redactor.redact_url(m.group())[0], joined)
    return redactor.redact(joined)[0]


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


def setup_logging(
    verbose: bool, tz: tzinfo | None = None, redactor: Redactor | None = None
) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(tz, redactor))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    # Scrapy and the scheduler are chatty. A failing source is reported once per run by the
    # daemon (and in `yujing status`), so Scrapy's own retry tracebacks only show with -v; a run
    # skipped because the previous one is still going is normal, not a warning.
    quiet = {"scrapy": logging.CRITICAL, "apscheduler": logging.ERROR, "twisted": logging.ERROR}
    for name in ("scrapy", "apscheduler", "twisted", "elastic_transport", "urllib3", "jieba"):
        level = logging.DEBUG if verbose else quiet.get(name, logging.WARNING)
        logging.getLogger(name).setLevel(level)
