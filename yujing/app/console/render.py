"""Pages from the templates beside this module: HTML escaped throughout (autoescape), with a
Content-Security-Policy that allows nothing but the page's own inline style (by its nonce) and
forms posted back here; no script, no frame, no outside resource."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

import jinja2

from ..web import HttpResponse

__all__ = ["page", "redirect"]

HTML = "text/html; charset=utf-8"


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("yujing.app.console", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _headers(nonce: str) -> dict[str, str]:
    policy = (
        "default-src 'none'; "
        f"style-src 'nonce-{nonce}'; "
        "form-action 'self'; "
        "base-uri 'none'; "
        "frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def page(template: str, status: int = 200, **context: Any) -> HttpResponse:
    """``template`` rendered with ``context`` as an HTML answer with the console's headers."""
    nonce = secrets.token_urlsafe(16)
    body = _env().get_template(template).render(nonce=nonce, **context)
    return HttpResponse(status, body.encode("utf-8"), HTML, _headers(nonce))


def redirect(location: str) -> HttpResponse:
    """See other: after a form, the page it changed (a reload posts nothing twice)."""
    return HttpResponse(303, b"", HTML, {"Location": location, "Cache-Control": "no-store"})
