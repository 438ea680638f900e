"""Who may use the console while yujing has no sign-in.

Only this machine: the console answers only while the HTTP server listens on a loopback
address, and only to requests naming a loopback host (a web page cannot reach it through a name
of its own pointing here). A change (a form posted) must come from the console's own page: the
same origin as the request's host, and the form's token, which a page of another site cannot
read.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from yujing.config import Config

from ..amapi.guard import host_of, is_loopback, served_at

__all__ = ["CSRF_FIELD", "console_exposure", "origin_refusal", "refusal", "token_refusal"]

CSRF_FIELD = "csrf"
FORM_TYPE = "application/x-www-form-urlencoded"


def refusal(config: Config, headers: dict[str, str]) -> str | None:
    """Why a request to the console is refused, in Chinese for the page; None to serve it."""
    address = config.http.address
    if address is None or not is_loopback(address[0]):
        return (
            f"控制台尚无登录功能，只在本机地址（127.0.0.1）上提供；yujing 现在监听 "
            f"{config.http.listen}（http.listen）。请把 http.listen 改为 127.0.0.1:端口，"
            "在服务器上用浏览器打开，或用 `yujing alert` / `yujing silence` 命令处理。"
        )
    if not is_loopback(host_of(headers.get("host", ""))):
        return "控制台只接受本机地址的访问：请用 http://127.0.0.1:端口/ 打开，不要用其他域名。"
    return None


def origin_refusal(headers: dict[str, str]) -> str | None:
    """Why a posted form is refused from its headers: not a form from the console's own page."""
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM_TYPE:
        return "请通过控制台页面上的表单提交。"
    host = headers.get("host", "").strip().lower()
    came_from = headers.get("origin") or headers.get("referer") or ""
    if not came_from or urlsplit(came_from).netloc.lower() != host:
        return "这个请求不是从控制台页面发出的，已拒绝。请回到控制台页面重新提交。"
    return None


def token_refusal(token: str, sent: str) -> str | None:
    """Why a posted form is refused from its body: without the console's token."""
    if not sent or not hmac.compare_digest(sent.encode(), token.encode()):
        return "表单已过期或缺少校验码（yujing 可能已重启）：请刷新页面后重新提交。"
    return None


def console_exposure(config: Config) -> str | None:
    """What the console serves under ``config``, for ``check-config``; None with no server."""
    served = served_at(config)
    if served is None:
        return None
    base, loopback = served
    if loopback:
        return (
            f"console at {base} (no sign-in): waves, handling and silences to anyone on this "
            "machine"
        )
    return (
        f"console at {base} is OFF: without sign-in it is served on a loopback address only "
        "(set http.listen to 127.0.0.1:PORT); requests get a page saying so"
    )
