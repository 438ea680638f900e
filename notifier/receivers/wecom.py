"""Alerts to a WeCom (企业微信) group through its group robot (群机器人), as markdown.

The webhook URL's ``key`` is the robot's credential; there is no signature. WeCom answers
``{"errcode": 0, "errmsg": "ok"}`` when sent, 93000 for an unknown key, and 45009 when the robot
sent more than 20 messages in a minute. Markdown content is at most 4096 bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import tzinfo

from yujing import config as cfg

from ..notification import Notification, ReportMail
from ..render import MARKDOWN, SHANGHAI, fit, notification_view, report_markdown, template_for
from . import ReceiverContext, Refused, RetryLater
from ._http import TIMEOUT, RateWindow, Reply, post_json

__all__ = ["WeComReceiver"]

PER_MINUTE = 20
MAX_BYTES = 4096
RATE_LIMITED = {45009}
BAD_KEY = {93000, 93004}  # invalid webhook url; the robot was removed


class WeComReceiver:
    def __init__(
        self,
        conf: cfg.WeComReceiver,
        *,
        tz: tzinfo = SHANGHAI,
        names: Mapping[str, str] | None = None,
        timeout: float = TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.conf = conf
        self.tz = tz
        self.names = dict(names or {})
        self.timeout = timeout  # seconds to wait for the service's answer
        self.window = RateWindow((PER_MINUTE, 60.0), clock=clock)
        self.template = template_for(conf, "wecom.md.j2", MARKDOWN)
        self.what = f"wecom receiver {conf.name!r}"

    @classmethod
    def from_config(cls, conf: cfg.WeComReceiver, context: ReceiverContext) -> WeComReceiver:
        return cls(conf, tz=context.tz, names=context.names)

    def payload(self, notification: Notification) -> dict:
        f = notification_view(notification, tz=self.tz, names=self.names).fields()
        # No mentioned_list: markdown messages cannot page anyone, and the text cannot either
        # (a "<@all>" in a post is escaped).
        return _markdown(self.template.render(f))

    def send(self, notification: Notification) -> None:
        self._post(self.payload(notification))

    def send_report(self, mail: ReportMail) -> None:
        self._post(_markdown(report_markdown(mail.title, mail.summary, mail.link)))

    def _post(self, payload: dict) -> None:
        self.window.take(self.what)
        self.check(post_json(self.conf.webhook, payload, what=self.what, timeout=self.timeout))

    def check(self, reply: Reply) -> None:
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise RuntimeError(f"{self.what}: HTTP {reply.status}: {reply.text[:200]}")
        code = reply.body.get("errcode")
        message = str(reply.body.get("errmsg", ""))[:200]
        if code == 0:
            return
        if code in RATE_LIMITED:
            # WeCom counts by the minute: the window frees up within one.
            self.window.hold(60.0)
            raise RetryLater(f"{self.what}: WeCom says too fast ({code} {message})", 60.0)
        if code in BAD_KEY:
            raise Refused(
                f"{self.what}: WeCom does not know this robot ({code} {message}); copy the "
                "webhook URL again from the robot's settings (群机器人 → Webhook地址)"
            )
        raise RuntimeError(f"{self.what}: WeCom errcode {code}: {message}")


def _markdown(text: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": fit(text, MAX_BYTES)}}
