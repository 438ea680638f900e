"""Reach counts as Chinese sites print them: "阅读 1.2万", "评论(35)", "3.4k", "1,024"."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["parse_count"]

_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万|w|千|k|亿)?", re.IGNORECASE)
_SCALE = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000, "亿": 100_000_000}


def parse_count(raw: str | int | None) -> int | None:
    """The first number in ``raw`` with its unit applied; None when there is no number."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    # NFKC turns full-width digits and brackets (１２，（３５）) into ASCII.
    text = unicodedata.normalize("NFKC", raw).replace(",", "")
    m = _NUMBER.search(text)
    if not m:
        return None
    scale = _SCALE[m.group(2).lower()] if m.group(2) else 1
    return round(float(m.group(1)) * scale)
