"""Where alerts go: receivers, the Alertmanager-style route tree and inhibit rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, field_validator, model_validator

from yujing.matchers import parse_matcher

from .base import Duration, HttpUrl, SecretStr, Strict, Wait
from .templates import check_inline, read_template

__all__ = [
    "LogReceiver",
    "FileReceiver",
    "SlackReceiver",
    "ElasticsearchReceiver",
    "DingTalkReceiver",
    "WeComReceiver",
    "FeishuReceiver",
    "EmailReceiver",
    "WebhookReceiver",
    "Receiver",
    "Route",
    "ROOT_GROUPING",
    "GROUP_BY_ALL",
    "InhibitRule",
    "Peers",
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
            try:
                _webhook(self.webhook_url, "Slack incoming")
            except ValueError as exc:  # the message names the field, never the secret URL
                raise ValueError(f"webhook_url: {exc}") from None
        return self


class ElasticsearchReceiver(Strict):
    """Writes alerts to the alerts index of the cluster configured under ``elasticsearch``."""

    name: str
    type: Literal["elasticsearch"]


class Templated(Strict):
    """A receiver that writes a message: its shipped Jinja2 template can be replaced, by text
    written here (``template``) or by a file (``template_file``); both are checked on load."""

    template: str | None = None
    template_file: Path | None = None

    @field_validator("template")
    @classmethod
    def _template_parses(cls, value: str | None) -> str | None:
        return None if value is None else check_inline(value)

    @field_validator("template_file")
    @classmethod
    def _template_file_parses(cls, value: Path | None) -> Path | None:
        if value is not None:
            read_template(value)
        return value

    @model_validator(mode="after")
    def _one_template(self) -> Templated:
        if self.template is not None and self.template_file is not None:
            raise ValueError("set template or template_file, not both")
        return self


def _webhook(value: str, app: str, needs: str = "") -> str:
    # The value is a secret: the message must not repeat it.
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected the {app} webhook URL, starting with https://")
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise ValueError(f"the {app} webhook URL has an invalid port") from None
    if needs and needs not in parse_qs(parts.query):
        raise ValueError(f"the {app} webhook URL has no {needs}= parameter; copy the whole URL")
    return value


class DingTalkReceiver(Templated):
    """A DingTalk group's custom robot (自定义机器人), markdown messages, signed when the robot's
    security setting is 加签."""

    name: str
    type: Literal["dingtalk"]
    # https://oapi.dingtalk.com/robot/send?access_token=..., as the robot's settings show it
    webhook: SecretStr("DINGTALK_WEBHOOK") = Field(min_length=1)
    secret: SecretStr("DINGTALK_SECRET") | None = None  # the SEC... string of 加签

    @field_validator("webhook")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        return _webhook(value, "DingTalk", "access_token")


class WeComReceiver(Templated):
    """A WeCom (企业微信) group robot (群机器人), markdown messages."""

    name: str
    type: Literal["wecom"]
    # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...; the key is the credential
    webhook: SecretStr("WECOM_WEBHOOK") = Field(min_length=1)

    @field_validator("webhook")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        return _webhook(value, "WeCom", "key")


class FeishuReceiver(Templated):
    """A Feishu or Lark group's custom bot (自定义机器人), message cards, signed when the bot's
    security setting has 签名校验."""

    name: str
    type: Literal["feishu"]
    # https://open.feishu.cn/open-apis/bot/v2/hook/... (Lark: open.larksuite.com)
    webhook: SecretStr("FEISHU_WEBHOOK") = Field(min_length=1)
    secret: SecretStr("FEISHU_SECRET") | None = None

    @field_validator("webhook")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        return _webhook(value, "Feishu")


_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+")


def _addresses(value: list[str]) -> list[str]:
    bad = [a for a in value if not _ADDRESS.fullmatch(a)]
    if bad:
        raise ValueError(f"not e-mail addresses: {', '.join(map(repr, bad))}")
    return value


class EmailReceiver(Templated):
    """Mail through an SMTP server over TLS: STARTTLS (port 587) or implicit TLS (port 465);
    ``none`` only for a relay on the same host."""

    name: str
    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)  # default: by ``tls``
    tls: Literal["starttls", "implicit", "none"] = "starttls"
    username: str | None = None
    password: SecretStr("SMTP_PASSWORD") | None = None
    sender: str
    to: list[str] = Field(min_length=1)
    ca_file: Path | None = None  # a private CA that signed the server's certificate

    @field_validator("sender")
    @classmethod
    def _sender_address(cls, value: str) -> str:
        return _addresses([value])[0]

    @field_validator("to")
    @classmethod
    def _to_addresses(cls, value: list[str]) -> list[str]:
        return _addresses(value)

    @property
    def smtp_port(self) -> int:
        return self.port or {"starttls": 587, "implicit": 465, "none": 25}[self.tls]

    @model_validator(mode="after")
    def _login_needs_tls(self) -> EmailReceiver:
        if self.password is not None and self.username is None:
            raise ValueError("password is set but username is not")
        if self.username is not None and self.tls == "none":
            raise ValueError(
                "a login over an unencrypted connection; set tls: starttls or implicit"
            )
        return self


class WebhookReceiver(Templated):
    """Any HTTP endpoint: the alert as JSON, signed with HMAC-SHA256 (see the README)."""

    name: str
    type: Literal["webhook"]
    url: HttpUrl
    secret: SecretStr("YUJING_WEBHOOK_SECRET") = Field(min_length=1)


Receiver = Annotated[
    LogReceiver
    | FileReceiver
    | SlackReceiver
    | ElasticsearchReceiver
    | DingTalkReceiver
    | WeComReceiver
    | FeishuReceiver
    | EmailReceiver
    | WebhookReceiver,
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


class Peers(Strict):
    """Daemons that run side by side for availability, each with its own store, and decide
    through the top-level ``redis:`` what they send, as Alertmanager's instances share a
    notification log: each wave is told once, by whichever daemon is first."""

    # Who may send: daemons with the same name share one log (one Redis, several groups).
    name: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]+$")
    # How long a daemon may hold an alert series while it sends. If it dies mid-send, a peer
    # goes on after this; it must be longer than the slowest receiver's send (a Slack message
    # with its chart is several calls of up to 10 s each).
    lease: Duration = 120.0


class Notify(Strict):
    receivers: list[Receiver] = [LogReceiver(name="log", type="log")]
    route: Route = Route(receiver="log")
    inhibit_rules: list[InhibitRule] = DEFAULT_INHIBIT_RULES
    retry_max: Duration = 3600.0
    peers: Peers | None = None

    @model_validator(mode="after")
    def _receiver_names_unique(self) -> Notify:
        # That each route's receiver is defined is checked after validation, where the route's
        # own line can be named (``grouping.receiver_problems``).
        names = [r.name for r in self.receivers]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"receiver names must be unique; repeated: {', '.join(sorted(dupes))}")
        return self
