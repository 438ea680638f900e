"""Kibana: the shipped saved objects (data views, saved searches, charts, a dashboard), their
import through Kibana's saved-objects API, and links from an alert to Discover.

The objects live in ``yujing.defaults`` as ``kibana/yujing.ndjson``, in Kibana's export format,
so they can also be imported by hand (Stack Management → Saved objects → Import). They are
written for the index prefix ``yujing``; another prefix is put into their ids and index
patterns before the import, so two installations can share one Kibana.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit
from urllib.request import Request, urlopen

from yujing.alerts import Alert
from yujing.config import Kibana as KibanaConfig
from yujing.records import format_time

__all__ = [
    "SHIPPED_PREFIX",
    "POSTS_VIEW",
    "saved_objects",
    "to_ndjson",
    "discover_url",
    "with_discover_link",
    "import_saved_objects",
    "ImportResult",
    "KibanaError",
]

SHIPPED_PREFIX = "yujing"
POSTS_VIEW = "posts"  # the posts data view's id is "<prefix>-posts"
POSTS_COLUMNS = ("title", "product_names", "category_names", "sentiment_label", "source", "url")


def _shipped_text() -> str:
    return (resources.files("yujing.defaults") / "kibana" / "yujing.ndjson").read_text("utf-8")


def _swap(value: str, prefix: str) -> str:
    # Only ids and index patterns are rewritten, and only where they start with the prefix.
    if prefix == SHIPPED_PREFIX or not value.startswith(f"{SHIPPED_PREFIX}-"):
        return value
    return prefix + value[len(SHIPPED_PREFIX) :]


def saved_objects(prefix: str = SHIPPED_PREFIX) -> list[dict[str, Any]]:
    """The shipped objects, their ids and data view patterns under ``prefix``.

    Every link between objects goes through ``references`` (Kibana's own rule for exports),
    so rewriting ids there and in each object's ``id`` keeps them all connected."""
    out = []
    for line in _shipped_text().splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        obj["id"] = _swap(obj["id"], prefix)
        obj["references"] = [{**r, "id": _swap(r["id"], prefix)} for r in obj["references"]]
        if obj["type"] == "index-pattern":
            obj["attributes"]["title"] = _swap(obj["attributes"]["title"], prefix)
        out.append(obj)
    return out


def to_ndjson(objects: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode("utf-8")


# -- links to Discover


_RISON_ID = re.compile(r"^[^-0-9 '!:(),*@$][^ '!:(),*@$]*$")


def _rison(value: Any) -> str:
    """Rison, the notation of Kibana's URL state: ``(a:'x y',b:!(1,2),c:!t)``."""
    if value is True:
        return "!t"
    if value is False:
        return "!f"
    if value is None:
        return "!n"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return "(" + ",".join(f"{k}:{_rison(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list | tuple):
        return "!(" + ",".join(_rison(v) for v in value) + ")"
    text = str(value)
    if _RISON_ID.match(text):
        return text  # a plain word needs no quotes: (language:kuery)
    return "'" + text.replace("!", "!!").replace("'", "!'") + "'"


def _kql_value(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _space_path(space: str | None) -> str:
    return f"/s/{space}" if space else ""


def discover_url(
    kibana_url: str,
    prefix: str,
    *,
    product: str,
    start: str,
    end: str,
    category: str | None = None,
    space: str | None = None,
) -> str:
    """Discover on the posts data view, filtered to ``product`` (and ``category``) from
    ``start`` to ``end`` (ISO times)."""
    query = f"products:{_kql_value(product)}"
    if category:
        query += f" and categories:{_kql_value(category)}"
    g = {"filters": [], "time": {"from": start, "to": end}}
    a = {
        "columns": list(POSTS_COLUMNS),
        "index": f"{prefix}-{POSTS_VIEW}",
        "query": {"language": "kuery", "query": query},
        "sort": [["published_at", "desc"]],
    }
    # Rison's own punctuation stays readable; anything else (spaces, quotes, Chinese) is encoded.
    safe = "()!',:*-_.~"
    base = kibana_url.rstrip("/") + _space_path(space)
    return (
        f"{base}/app/discover#/?_g={quote(_rison(g), safe=safe)}&_a={quote(_rison(a), safe=safe)}"
    )


def with_discover_link(alert: Alert, kibana: KibanaConfig, prefix: str) -> Alert:
    """``alert`` with ``annotations["discover_url"]``: its posts in Discover over its window."""
    if alert.burst is None or not alert.product:
        return alert
    link = discover_url(
        kibana.url,
        prefix,
        product=alert.product,
        category=alert.category,
        start=format_time(alert.burst.window_start),
        end=format_time(alert.burst.window_end),
        space=kibana.space,
    )
    return replace(alert, annotations={**alert.annotations, "discover_url": link})


# -- import


class KibanaError(Exception):
    """Kibana refused the import or could not be reached; the message says what to do."""


@dataclass(frozen=True)
class ImportResult:
    success: bool
    success_count: int
    errors: list[dict[str, Any]] = field(default_factory=list)


def _auth_header(conf: KibanaConfig) -> dict[str, str]:
    if conf.api_key:
        return {"Authorization": f"ApiKey {conf.api_key}"}
    if conf.username:
        token = base64.b64encode(f"{conf.username}:{conf.password or ''}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


def _multipart(name: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = f"yujing-{uuid.uuid4().hex}"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: application/ndjson\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), boundary


def _ssl_context(conf: KibanaConfig) -> ssl.SSLContext | None:
    if urlsplit(conf.url).scheme != "https":
        return None
    context = ssl.create_default_context(cafile=str(conf.ca_certs) if conf.ca_certs else None)
    if not conf.verify_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def import_saved_objects(
    conf: KibanaConfig, objects: list[dict[str, Any]], *, space: str | None = None
) -> ImportResult:
    """``POST [/s/<space>]/api/saved_objects/_import?overwrite=true`` with the objects as an
    NDJSON file. Overwriting makes a second import replace the first instead of failing."""
    space = space if space is not None else conf.space
    url = f"{conf.url.rstrip('/')}{_space_path(space)}/api/saved_objects/_import?overwrite=true"
    body, boundary = _multipart("file", "yujing.ndjson", to_ndjson(objects))
    headers = {
        "kbn-xsrf": "true",  # Kibana refuses any API write without it
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        **_auth_header(conf),
    }
    request = Request(url, data=body, headers=headers, method="POST")
    try:
        with urlopen(request, timeout=conf.request_timeout, context=_ssl_context(conf)) as answer:
            data = json.loads(answer.read() or b"{}")
    except HTTPError as exc:
        raise KibanaError(_refusal(exc, url)) from None
    except (URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise KibanaError(f"无法连接 Kibana（{url}）：{reason}；请检查 kibana.url 与网络") from None
    return ImportResult(
        success=bool(data.get("success")),
        success_count=int(data.get("successCount", 0)),
        errors=list(data.get("errors") or []),
    )


def _refusal(exc: HTTPError, url: str) -> str:
    try:
        message = json.loads(exc.read() or b"{}").get("message", "")
    except ValueError:
        message = ""
    if exc.code == 401:
        hint = "用户名/密码或 API key 不对：请检查 kibana.username/password 或 kibana.api_key"
    elif exc.code == 403:
        hint = "该用户无权导入已保存对象：需要 Saved Objects Management 的写权限"
    elif exc.code == 404:
        hint = "找不到该地址：请检查 kibana.url（含 base path）与 --space 是否存在"
    else:
        hint = "Kibana 拒绝了导入"
    detail = f"（{message}）" if message else ""
    return f"Kibana 返回 HTTP {exc.code}（{url}）：{hint}{detail}"
