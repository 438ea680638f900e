"""The whole configuration: one model over the domain sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import PrivateAttr, field_validator, model_validator

from .base import Strict
from .detection import Categories, Detection, Product
from .notify import Notify
from .reports import ReportSchedule
from .services import Elasticsearch, Http, Kibana, Logging, Privacy, Redis, Storage
from .sources import Source, TranscriptSource

__all__ = ["Config"]


class Config(Strict):
    include: list[str] = []
    timezone: str = "Asia/Shanghai"
    storage: Storage = Storage()
    privacy: Privacy = Privacy()
    alerts_file: Path | None = Path("var/alerts.jsonl")
    sources: list[Source] = []
    products: list[Product] = []
    categories: Categories = []
    detection: Detection = Detection()
    notify: Notify = Notify()
    reports: list[ReportSchedule] = []
    elasticsearch: Elasticsearch | None = None
    kibana: Kibana | None = None
    redis: Redis | None = None
    http: Http = Http()
    logging: Logging = Logging()
    # What each ${ENV} reference was replaced with: kept out of every URL yujing prints or stores
    # (a feed's ?token=${FEED_TOKEN} is shown with the reference, not the token).
    _secrets: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def secrets(self) -> dict[str, str]:
        """${ENV} name -> the value put in its place (set by ``load_config``)."""
        return self._secrets

    @field_validator("timezone")
    @classmethod
    def _tz_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like Asia/Shanghai"
            ) from None
        return value

    @field_validator("sources", "products")
    @classmethod
    def _unique(cls, value: list[Any]) -> list[Any]:
        names = [
            getattr(item, "name", None) if hasattr(item, "type") else item.id for item in value
        ]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"names must be unique; repeated: {', '.join(dupes)}")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        known = {p.id for p in self.products}
        unknown = sorted(set(self.detection.products) - known)
        if unknown:
            raise ValueError(f"detection.products names unknown products: {', '.join(unknown)}")
        searching = [s.name for s in self.sources if getattr(s, "keywords", False)]
        if searching and not self.products:
            raise ValueError(
                f"source {searching[0]} searches product names (keywords: true), "
                "but no product is configured under products:"
            )
        # What can carry a report: e-mail (the HTML and the PDF), Slack with a bot token (the
        # PDF as a file; an incoming webhook takes no files), the chat apps' robots (a summary).
        receivers = {
            r.name: "slack webhook" if getattr(r, "webhook_url", None) else r.type
            for r in self.notify.receivers
        }
        keys = [r.key for r in self.reports]
        twice = next((k for k in keys if keys.count(k) > 1), None)
        if twice is not None:
            raise ValueError(
                f"reports: two entries write the same report ({twice.removeprefix('reports.')}); "
                "make them one, with all its receivers"
            )
        for report in self.reports:
            if report.product is not None and report.product not in known:
                raise ValueError(
                    f"reports: a {report.kind} report names unknown product {report.product!r}; "
                    f"products: has {', '.join(sorted(known)) or 'none'}"
                )
            for name in report.receivers:
                if name not in receivers:
                    raise ValueError(
                        f"reports: a {report.kind} report goes to unknown receiver {name!r}; "
                        f"notify.receivers has: {', '.join(receivers)}"
                    )
                if receivers[name] not in ("email", "slack", "dingtalk", "wecom", "feishu"):
                    raise ValueError(
                        f"reports: receiver {name!r} is a {receivers[name]} receiver; reports "
                        "go to e-mail, Slack (with a bot token), DingTalk, WeCom and Feishu"
                    )
        shared = [s.name for s in self.sources if getattr(s, "shared", False)]
        if shared and self.redis is None:
            raise ValueError(
                f"source {shared[0]} is shared (shared: true), which needs the top-level "
                "redis: section (url: ${REDIS_URL})"
            )
        if self.notify.peers is not None and self.redis is None:
            raise ValueError(
                "notify.peers: daemons decide together what to send through Redis, which needs "
                "the top-level redis: section (url: ${REDIS_URL})"
            )
        if (
            any(r.type == "elasticsearch" for r in self.notify.receivers)
            and self.elasticsearch is None
        ):
            raise ValueError("an elasticsearch receiver needs the top-level elasticsearch: section")
        push = self.http.push
        pushed = push.source if push is not None else None
        folderless = [s.name for s in self.sources if not s.polled]
        if any(name != pushed for name in folderless):
            name = next(n for n in folderless if n != pushed)
            raise ValueError(
                f"source {name} has no path: give the folder its files are dropped in "
                "(path: var/inbox), or name it as http.push.source if it is fed by POST /ingest"
            )
        if push is not None and push.source not in {
            s.name for s in self.sources if isinstance(s, TranscriptSource)
        }:
            raise ValueError(
                f"http.push.source: {push.source!r} is not a transcripts source; name one of "
                "sources: (type: transcripts), whose columns, roles and limits then apply"
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
