"""Scrapy's log lines without the items: an item holds raw names and complaint text.

Scrapy's own formatter prints every scraped or dropped item in full at DEBUG (what ``-v`` turns
on), before the pipeline has hashed the author or redacted the text. These lines say which page
an item came from and what happened to it, never what it holds.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter

__all__ = ["PrivateLogFormatter"]


class PrivateLogFormatter(LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> dict[str, Any]:
        return {
            "level": logging.DEBUG,
            "msg": "Scraped an item from %(src)s",
            "args": {"src": getattr(response, "url", response)},
        }

    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> dict[str, Any]:
        return {
            "level": logging.WARNING,
            "msg": "Dropped an item from %(src)s: %(exception)s",
            "args": {"src": getattr(response, "url", response), "exception": exception},
        }

    def item_error(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> dict[str, Any]:
        return {
            "level": logging.ERROR,
            "msg": "Error processing an item from %(src)s",
            "args": {"src": getattr(response, "url", response)},
        }
