"""Where alerts go: receivers, the Alertmanager-style route tree and inhibit rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from yujing.matchers import parse_matcher

from .base import Duration, SecretStr, Strict, Wait

__all__ = [
    "LogReceiver",
    "FileReceiver",
    "SlackReceiver",
    "ElasticsearchReceiver",
    "Receiver",
    "Route",
    "ROOT_GROUPING",
    "GROUP_BY_ALL",
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


def _parse_all(matchers: list[str]) -> list[str]:
    for m in matchers:
        parse_matcher(m)  # the grammar the notifier matches with; raises ValueError
    return matchers


_LABEL = re.compile(r"[A-Za-z_]\w*")
GROUP_BY_ALL = "..."


class Route(Strict):
    """A node of Alertmanager's route tree. The grouping and timing fields left out (None) are
    the parent's; the root's defaults are ``ROOT_GROUPING``."""

    receiver: str | None = None
    matchers: list[str] = []  # label=value, label!=value, label=~regex, label!~regex
    continue_: bool = Field(default=False, alias="continue")
    group_by: list[str] | None = None  # ["..."]: every label, one group per alert
    group_wait: Wait | None = None  # before a new group's first notification
    group_interval: Duration | None = None  # between notifications of a group that changed
    repeat_interval: Duration | None = None  # before an unchanged firing group is told again
    routes: list[Route] = []

    @field_validator("matchers")
    @classmethod
    def _matchers_parse(cls, value: list[str]) -> list[str]:
        return _parse_all(value)

    @field_validator("group_by")
    @classmethod
    def _group_by_labels(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if GROUP_BY_ALL in value and len(value) > 1:
            raise ValueError(f"{GROUP_BY_ALL!r} means every label and stands alone in group_by")
        bad = [n for n in value if n != GROUP_BY_ALL and not _LABEL.fullmatch(n)]
        if bad:
            raise ValueError(f"not label names: {', '.join(map(repr, bad))}")
        dupes = sorted({n for n in value if value.count(n) > 1})
        if dupes:
            raise ValueError(f"labels named twice: {', '.join(dupes)}")
        return value


# What the root route uses where the config says nothing: a PR team hears of a product in one
# message, its category alerts with it, at most every 5 minutes while the wave changes, and is
# reminded every 4 hours of a wave still open. The timers are Alertmanager's defaults; its
# group_by default is [] (one group per route), which would mix unrelated products.
ROOT_GROUPING = {
    "group_by": ["product"],
    "group_wait": 30.0,
    "group_interval": 300.0,
    "repeat_interval": 4 * 3600.0,
}


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
