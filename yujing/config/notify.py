"""Where alerts go: receivers and the Alertmanager-style route tree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import Duration, SecretStr, Strict
from .matchers import parse_matcher

__all__ = [
    "LogReceiver",
    "FileReceiver",
    "SlackReceiver",
    "ElasticsearchReceiver",
    "Receiver",
    "Route",
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
    name: str
    type: Literal["slack"]
    token: SecretStr("SLACK_BOT_TOKEN") = Field(min_length=1)
    channel: str
    base_url: str | None = None  # only to point at a test server


class ElasticsearchReceiver(Strict):
    """Writes alerts to the alerts index of the cluster configured under ``elasticsearch``."""

    name: str
    type: Literal["elasticsearch"]


Receiver = Annotated[
    LogReceiver | FileReceiver | SlackReceiver | ElasticsearchReceiver,
    Field(discriminator="type"),
]


class Route(Strict):
    receiver: str | None = None
    matchers: list[str] = []  # label=value, label!=value, label=~regex
    continue_: bool = Field(default=False, alias="continue")
    routes: list[Route] = []

    @field_validator("matchers")
    @classmethod
    def _matchers_parse(cls, value: list[str]) -> list[str]:
        for m in value:
            parse_matcher(m)  # the grammar the notifier routes with; raises ValueError
        return value


class Notify(Strict):
    receivers: list[Receiver] = [LogReceiver(name="log", type="log")]
    route: Route = Route(receiver="log")
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
