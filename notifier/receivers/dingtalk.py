"""Alerts to a DingTalk group through its custom robot (自定义机器人), as markdown messages.

With 加签 set on the robot, each request carries ``timestamp`` (ms) and ``sign``: HMAC-SHA256
keyed with the secret over ``timestamp + "\\n" + secret``, base64, URL-encoded. DingTalk answers
HTTP 200 with ``errcode``: 0 when sent, 310000 for a bad signature (or a missing keyword, or an
address outside the IP list), 130101 when the robot sent more than 20 messages in a minute, after
which it refuses for 10 minutes. The receiver keeps under that limit itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from datetime import tzinfo
from urllib.parse import quote_plus

from yujing import config as cfg

from ..notification import Notification, ReportMail
from ..render import (
    MARKDOWN,
    SHANGHAI,
    fit,
    md_escape,
    notification_view,
    report_markdown,
    template_for,
)
from . import ReceiverContext, Refused, RetryLater
from ._http import TIMEOUT, RateWindow, Reply, post_json

__all__ = ["DingTalkReceiver", "sign"]

PER_MINUTE = 20
MUTED_FOR = 600.0  # seconds DingTalk refuses a robot once it went over its limit
MAX_BYTES = 4000  # keeps a message well within what the robot accepts and a phone shows
RATE_LIMITED = {130101, 410100}
BAD_TOKEN = {300001, 310001, 400013}


def sign(timestamp_ms: str, secret: str) -> str:
    """DingTalk's 加签 signature, before URL encoding."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalkReceiver:
    def __init__(
        self,
        conf: cfg.DingTalkReceiver,
        *,
        tz: tzinfo = SHANGHAI,
        names: Mapping[str, str] | None = None,
        timeout: float = TIMEOUT,
        clock: Callable[[], float] = time.time,
        window: RateWindow | None = None,
    ):
        self.conf = conf
        self.tz = tz
        self.names = dict(names or {})
        self.timeout = timeout  # seconds to wait for the service's answer
        self.clock = clock  # wall time: the signature's timestamp must be within DingTalk's hour
        self.window = window or RateWindow((PER_MINUTE, 60.0))
        self.template = template_for(conf, "dingtalk.md.j2", MARKDOWN)
        self.what = f"dingtalk receiver {conf.name!r}"

    @classmethod
    def from_config(cls, conf: cfg.DingTalkReceiver, context: ReceiverContext) -> DingTalkReceiver:
        return cls(conf, tz=context.tz, names=context.names)

    def payload(self, notification: Notification) -> dict:
        f = notification_view(notification, tz=self.tz, names=self.names).fields()
        return _markdown(f["title"], self.template.render(f))

    def url(self) -> str:
        if not self.conf.secret:
            return self.conf.webhook
        timestamp = str(int(self.clock() * 1000))
        signature = quote_plus(sign(timestamp, self.conf.secret))
        return f"{self.conf.webhook}&timestamp={timestamp}&sign={signature}"

    def send(self, notification: Notification) -> None:
        self._post(self.payload(notification))

    def send_report(self, mail: ReportMail) -> None:
        self._post(_markdown(mail.title, report_markdown(mail.title, mail.summary, mail.link)))

    def _post(self, payload: dict) -> None:
        self.window.take(self.what)
        self.check(post_json(self.url(), payload, what=self.what, timeout=self.timeout))

    def check(self, reply: Reply) -> None:
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise RuntimeError(f"{self.what}: HTTP {reply.status}: {reply.text[:200]}")
        code = reply.body.get("errcode")
        message = str(reply.body.get("errmsg", ""))[:200]
        if code == 0:
            return
        if code in RATE_LIMITED:
            self.window.hold(MUTED_FOR)
            raise RetryLater(f"{self.what}: DingTalk says too fast ({code} {message})", MUTED_FOR)
        if code == 310000:
            raise Refused(
                f"{self.what}: DingTalk refused the message (310000 {message}): {_why(message)}"
            )
        if code in BAD_TOKEN:
            raise Refused(
                f"{self.what}: DingTalk does not know this robot ({code} {message}); copy the "
                "webhook URL again from the robot's settings"
            )
        raise RuntimeError(f"{self.what}: DingTalk errcode {code}: {message}")


def _markdown(title: str, text: str) -> dict:
    return {
        "msgtype": "markdown",
        # The title is what the notification and the chat list show.
        "markdown": {"title": md_escape(title), "text": fit(text, MAX_BYTES)},
        # Nobody is mentioned: an alert must not page a whole group because a post said @all.
        "at": {"isAtAll": False, "atMobiles": [], "atUserIds": []},
    }


def _why(message: str) -> str:
    text = message.lower()
    if "keyword" in text:
        return (
            "the robot's security setting asks for a keyword (自定义关键词) this message lacks; "
            "put the keyword in the receiver's template, or use 加签 and set secret"
        )
    if "ip" in text and "whitelist" in text:
        return "this host's address is not in the robot's IP list (IP地址段); add it there"
    return (
        "the signature does not match; set secret to the SEC... string shown under 加签 in the "
        "robot's security settings, and check this host's clock (DingTalk allows one hour)"
    )
