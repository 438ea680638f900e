"""Who may use the Alertmanager API while yujing has no sign-in.

Reading is open to whoever reaches the HTTP server (``check-config`` says so when it listens
beyond this machine). Writing (adding and expiring silences) is served only while the server
listens on a loopback address, so only this machine's users and programs reach it, and only to
requests that name a loopback host and come from no other web site: a page in a browser on
this machine can neither post to it (a foreign ``Origin``; a JSON body needs a preflight that
is never granted) nor reach it through a name of its own that points here (``Host``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from yujing.config import Config

from ..web import HttpResponse

__all__ = ["host_of", "is_loopback", "read_refusal", "write_refusal", "api_exposure", "served_at"]

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def is_loopback(host: str) -> bool:
    host = host.strip().removeprefix("[").removesuffix("]").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(header: str) -> str:
    """The host of a ``Host`` header (``127.0.0.1:9414``, ``[::1]:9414``, ``localhost``)."""
    return urlsplit(f"//{header.strip()}").hostname or ""


def _refused(message: str) -> HttpResponse:
    return HttpResponse.json(message, 403)


def _foreign(headers: dict[str, str]) -> HttpResponse | None:
    if not is_loopback(host_of(headers.get("host", ""))):
        return _refused(
            "yujing's Alertmanager API listens on this machine only: ask it by a loopback "
            "address (http://127.0.0.1:PORT/api/v2/), not by another name"
        )
    origin = headers.get("origin")
    if origin is not None and not is_loopback(urlsplit(origin).hostname or ""):
        return _refused(f"requests from the web page {origin} are not served")
    return None


def read_refusal(config: Config, headers: dict[str, str]) -> HttpResponse | None:
    """403 for a read that must not be served: on a loopback server, a foreign Host or Origin."""
    address = config.http.address
    if address is not None and is_loopback(address[0]):
        return _foreign(headers)
    return None


def write_refusal(config: Config, headers: dict[str, str]) -> HttpResponse | None:
    """403 unless the server listens on a loopback address and the request is from here."""
    address = config.http.address
    if address is None or not is_loopback(address[0]):
        shown = config.http.listen
        return _refused(
            f"silences cannot be changed through the API while yujing listens on {shown} "
            "(http.listen): without sign-in, the API is read-only beyond this machine. Use "
            "`yujing silence add` / `expire` on the server, or listen on 127.0.0.1"
        )
    return _foreign(headers)


def served_at(config: Config) -> tuple[str, bool] | None:
    """The HTTP server's address as a URL (``http://127.0.0.1:9414/``) and whether it is a
    loopback one; None with no HTTP server."""
    address = config.http.address
    if address is None:
        return None
    host, port = address
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/", is_loopback(host)


def api_exposure(config: Config) -> str | None:
    """What the API exposes under ``config``, for ``check-config``; None with no HTTP server."""
    served = served_at(config)
    if served is None:
        return None
    base, loopback = served[0] + "api/v2/", served[1]
    if loopback:
        return (
            f"Alertmanager API at {base} (no sign-in): open alerts, silences, receivers and "
            "status to anyone on this machine; silences may be added and expired from here"
        )
    return (
        f"Alertmanager API at {base} (no sign-in): open alerts (labels, summaries, sample "
        "links), silences, receivers and status to ANYONE who reaches this address; writes "
        "are refused (403) off the loopback. Listen on 127.0.0.1, or firewall the port"
    )
