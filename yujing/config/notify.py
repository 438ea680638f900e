"""Where alerts go: receivers, the Alertmanager-style route tree and inhibit rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from yujing.matchers import parse_matcher

from .base import Duration, SecretStr, Strict, http_url

__all__ = [
    "LogReceiver",
    "FileReceiver",
    "SlackReceiver",
    "ElasticsearchReceiver",
    "Receiver",
    "Route",
    "InhibitRule",
    "Notify",
]


class LogReceiver(Strict):
    name: str
    type: Literal["log"]


class FileReceiver(Strict):
    name: str
    type: Literal["file"]
    path: Path


class SlackReceiver(Strict):
    """A bot token (one message per wave, edited, with a thread) or an incoming webhook (a new
    message per event: a webhook cannot edit, read back or thread)."""

    name: str
    type: Literal["slack"]
    token: SecretStr("SLACK_BOT_TOKEN") | None = Field(default=None, min_length=1)
    channel: str | None = None  # a channel id (C0123ABC) or #name; with a token only
    webhook_url: SecretStr("SLACK_WEBHOOK_URL") | None = Field(default=None, min_length=1)
    base_url: str | None = None  # only to point at a test server

    @model_validator(mode="after")
    def _token_or_webhook(self) -> SlackReceiver:
        if (self.token is None) == (self.webhook_url is None):
            raise ValueError("give either token (with channel) or webhook_url, not both")
        if self.token is not None and not self.channel:
            raise ValueError("a bot token needs a channel to post to")
        if self.webhook_url is not None and self.channel:
            raise ValueError("an incoming webhook posts to its own channel: remove channel")
        if self.webhook_url is not None:
            http_url(self.webhook_url)
        return self


class ElasticsearchReceiver(Strict):
    """Writes alerts to the alerts index of the cluster configured under ``elasticsearch``."""

    name: str
    type: Literal["elasticsearch"]


Receiver = Annotated[
    LogReceiver | FileReceiver | SlackReceiver | ElasticsearchReceiver,
    Field(discriminator="type"),
]


def _parse_all(matchers: list[str]) -> list[str]:
    for m in matchers:
        parse_matcher(m)  # the grammar the notifier matches with; raises ValueError
    return matchers


class Route(Strict):
    receiver: str | None = None
    matchers: list[str] = []  # label=value, label!=value, label=~regex, label!~regex
    continue_: bool = Field(default=False, alias="continue")
    routes: list[Route] = []

    @field_validator("matchers")
    @classmethod
    def _matchers_parse(cls, value: list[str]) -> list[str]:
        return _parse_all(value)


_LABEL = re.compile(r"[A-Za-z_]\w*")


class InhibitRule(Strict):
    """Alertmanager's inhibit rule: while an alert matching ``source_matchers`` fires, alerts
    matching ``target_matchers`` with the same values of the ``equal`` labels are not sent."""

    source_matchers: list[str] = []
    target_matchers: list[str] = []
    equal: list[str] = []

    @field_validator("source_matchers", "target_matchers")
    @classmethod
    def _matchers_parse(cls, value: list[str]) -> list[str]:
        return _parse_all(value)

    @field_validator("equal")
    @classmethod
    def _labels_valid(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not _LABEL.fullmatch(name)]
        if bad:
            raise ValueError(f"not label names: {', '.join(map(repr, bad))}")
        return value


# While a product's whole-product alert fires, its category alerts would only repeat it: the
# product alert's reasons already name the leading categories. An empty value matches a missing
# label, as in Alertmanager, so category="" picks the whole-product alerts.
DEFAULT_INHIBIT_RULES = [
    InhibitRule(
        source_matchers=["kind=burst", 'category=""'],
        target_matchers=["kind=burst", "category=~.+"],
        equal=["product"],
    )
]


class Notify(Strict):
    receivers: list[Receiver] = [LogReceiver(name="log", type="log")]
    route: Route = Route(receiver="log")
    inhibit_rules: list[InhibitRule] = DEFAULT_INHIBIT_RULES
    retry_max: Duration = 3600.0

    @model_validator(mode="after")
    def _receivers_exist(self) -> Notify:
        names = [r.name for r in self.receivers]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"receiver names must be unique; repeated: {', '.join(sorted(dupes))}")

        def walk(route: Route) -> None:
            if route.receiver is not None and route.receiver not in names:
                raise ValueError(
                    f"route names receiver {route.receiver!r}, which is not defined "
                    f"(defined: {', '.join(names) or 'none'})"
                )
            for child in route.routes:
                walk(child)

        walk(self.route)
        return self
