"""Alerts to a Feishu or Lark group through its custom bot (自定义机器人), as message cards.

With 签名校验 set on the bot, the JSON body carries ``timestamp`` (seconds) and ``sign``: HMAC-SHA256
keyed with ``timestamp + "\\n" + secret`` over an empty message, base64. Feishu answers
``{"code": 0, "msg": "success"}`` when sent; 19021 for a bad signature or a timestamp more than an
hour off, 19022 for an address outside the IP list, 19024 for a missing keyword; 9499 or 11232
(or HTTP 429) when the bot sent more than 5 a second or 100 a minute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any

from yujing import config as cfg

from ..notification import Notification, ReportMail
from ..render import MARKDOWN, SHANGHAI, fit, notification_view, report_markdown, template_for
from . import ReceiverContext, Refused, RetryLater
from ._http import TIMEOUT, RateWindow, Reply, post_json, retry_after

__all__ = ["FeishuReceiver", "sign"]

MAX_BYTES = 20_000  # the card body; a whole card may be at most 30 KB
RATE_LIMITED = {9499, 11232}
REFUSED = {
    19021: "the signature does not match; set secret to the bot's 签名校验 secret, and check this "
    "host's clock (Feishu allows one hour)",
    19022: "this host's address is not in the bot's IP list (IP 白名单); add it there",
    19024: "the bot's security setting asks for a keyword (自定义关键词) this message lacks; put it "
    "in the receiver's template, or use 签名校验 and set secret",
    19001: "Feishu does not know this bot; copy the webhook URL again from the bot's settings",
}
HEADER = {"blue": "blue", "yellow": "yellow", "orange": "orange", "red": "red"}


def sign(timestamp: str, secret: str) -> str:
    """Feishu's signature: the key is ``timestamp\\nsecret``, the message is empty."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuReceiver:
    def __init__(
        self,
        conf: cfg.FeishuReceiver,
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
        self.clock = clock
        self.window = window or RateWindow((5, 1.0), (100, 60.0))
        self.template = template_for(conf, "feishu.md.j2", MARKDOWN)
        self.what = f"feishu receiver {conf.name!r}"

    @classmethod
    def from_config(cls, conf: cfg.FeishuReceiver, context: ReceiverContext) -> FeishuReceiver:
        return cls(conf, tz=context.tz, names=context.names)

    def payload(self, notification: Notification) -> dict[str, Any]:
        f = notification_view(notification, tz=self.tz, names=self.names).fields()
        colour = "green" if f["resolved"] else HEADER.get(f["severity"], "grey")
        return self._card(f["title"], self.template.render(f), colour)

    def _card(self, title: str, text: str, colour: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": True},
                # plain_text: the title is shown as it is, never read as markup
                "header": {"title": {"tag": "plain_text", "content": title}, "template": colour},
                "elements": [
                    {
                        "tag": "div",
                        "text": {
                            "tag": "lark_md",
                            "content": fit(text, MAX_BYTES),
                        },
                    }
                ],
            },
        }
        if self.conf.secret:
            timestamp = str(int(self.clock()))
            body["timestamp"] = timestamp
            body["sign"] = sign(timestamp, self.conf.secret)
        return body

    def send(self, notification: Notification) -> None:
        self._post(self.payload(notification))

    def send_report(self, mail: ReportMail) -> None:
        """The report's figures in a card, with a link to the PDF when one is known."""
        text = report_markdown(mail.title, mail.summary, mail.link)
        self._post(self._card(mail.title, text, "blue"))

    def _post(self, payload: dict[str, Any]) -> None:
        self.window.take(self.what)
        self.check(post_json(self.conf.webhook, payload, what=self.what, timeout=self.timeout))

    def check(self, reply: Reply) -> None:
        body = reply.body if isinstance(reply.body, dict) else {}
        # Older deployments answer {"StatusCode": 0, "StatusMessage": "success"}.
        code = body.get("code", body.get("StatusCode"))
        message = str(body.get("msg", body.get("StatusMessage", "")))[:200]
        if reply.status == 429 or code in RATE_LIMITED:
            wait = retry_after(reply.headers, 60.0)
            self.window.hold(wait)
            raise RetryLater(f"{self.what}: Feishu says too fast ({code} {message})", wait)
        if reply.status == 200 and code == 0:
            return
        if code in REFUSED:
            raise Refused(
                f"{self.what}: Feishu refused the message ({code} {message}): {REFUSED[code]}"
            )
        raise RuntimeError(
            f"{self.what}: Feishu HTTP {reply.status}, code {code}: {message or reply.text[:200]}"
        )
