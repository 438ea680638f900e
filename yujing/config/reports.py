"""Reports written on a schedule (``reports:``): which, when in the config's zone, and where."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import field_validator

from .base import HttpUrl, Strict

__all__ = ["ReportSchedule", "WEEKDAYS"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ReportSchedule(Strict):
    """``{kind: daily, at: "08:30"}``: yesterday's 日报 every morning at 08:30; ``weekly`` the
    周报 of the seven days before, on ``weekday``. Written once per schedule, a restart
    included; a daemon that was down at the hour writes the latest one it missed."""

    kind: Literal["daily", "weekly"]
    at: str = "08:30"
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    product: str | None = None  # one product's report; none: every product
    skip_empty: bool = False  # no complaint and no wave in the period: write nothing
    out: Path = Path("var/reports")
    # Names from notify.receivers to send it to: e-mail (the HTML as the mail, the PDF attached),
    # Slack with a bot token (the PDF as a file), DingTalk, WeCom or Feishu (its figures, and a
    # link to the PDF when ``url`` is set).
    receivers: list[str] = []
    # Where ``out`` is served (https://intranet.example.cn/reports/): the chat apps' link is this
    # and the file's name.
    url: HttpUrl | None = None

    @field_validator("at")
    @classmethod
    def _clock(cls, value: str) -> str:
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if match is None:
            raise ValueError(f"expected a time of day like 08:30, got {value!r}")
        return f"{int(match[1]):02d}:{match[2]}"

    @property
    def key(self) -> str:
        """What the store remembers its last report under."""
        when = self.at if self.kind == "daily" else f"{self.weekday} {self.at}"
        return f"reports.{self.kind}.{self.product or '*'}.{when}"
