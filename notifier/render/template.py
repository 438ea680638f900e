"""Messages from Jinja2 templates: the shipped ones in ``templates/``, or a receiver's own.

A template writes the receiver's markup (markdown for the chat apps, plain text for e-mail and
webhooks); every value it prints is escaped for that markup on the way out (``finalize``), so a
post title can never turn into a link or a mention, whatever the template does with it. Links are
made by the ``link`` filter, and only to http(s) URLs.

A template is rendered in Jinja2's immutable sandbox, with the notification's fields and a few
harmless globals only: no attribute that is private, no method that changes a value, no function
whose internals lead back to Python's (``check-config`` refuses such templates before they get
here; the sandbox is what holds when one is written afterwards). A template that fails while
rendering (a sandbox refusal, a division by zero on a field) does not lose the alert: the message
is written by the shipped template instead, and the log says which template failed and why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib import resources
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from yujing import config as cfg
from yujing.config.templates import TEMPLATE_GLOBALS, read_template

from .markdown import Markup, Safe

__all__ = ["MessageTemplate", "template_for", "fit", "shipped"]

log = logging.getLogger("yujing.notifier")


class MessageTemplate:
    def __init__(
        self,
        source: str,
        markup: Markup,
        name: str = "<template>",
        fallback: MessageTemplate | None = None,
    ):
        self.markup = markup
        self.fallback = fallback  # renders the message when this template fails
        env = ImmutableSandboxedEnvironment(
            finalize=self._finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,  # escaping is ``finalize``'s, for this receiver's markup
        )
        env.filters["link"] = lambda label, url: Safe(markup.link(str(label), str(url or "")))
        env.filters["raw"] = lambda value: Safe(str(value))
        env.globals = {k: v for k, v in env.globals.items() if k in TEMPLATE_GLOBALS}
        self.template = env.from_string(source)
        self.name = name

    def _finalize(self, value: Any) -> str:
        if value is None or isinstance(value, jinja2.Undefined):
            return ""
        if isinstance(value, Safe):
            return str(value)
        return self.markup.escape(str(value))

    def render(self, fields: Mapping[str, Any]) -> str:
        try:
            text = self.template.render(**fields)
        except Exception as exc:  # any error a template can raise; the alert must still go out
            if self.fallback is None:
                raise
            line = _template_line(exc)
            log.warning(
                "template %s%s failed (%s: %s); the message was written by the shipped template",
                self.name,
                f" line {line}" if line else "",
                type(exc).__name__,
                exc,
            )
            return self.fallback.render(fields)
        # Templates lay out blocks freely; more than one blank line in a row is never meant.
        lines: list[str] = []
        for line in text.splitlines():
            if line.strip() or (lines and lines[-1].strip()):
                lines.append(line.rstrip())
        return "\n".join(lines).strip("\n")


def _template_line(exc: BaseException) -> int | None:
    """The line of the template where rendering failed, from the traceback Jinja2 rewrites."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def shipped(name: str) -> str:
    return (resources.files("yujing.notifier.render") / "templates" / name).read_text(
        encoding="utf-8"
    )


def template_for(conf: cfg.notify.Templated, default: str, markup: Markup) -> MessageTemplate:
    """The receiver's own template when it has one, else the shipped ``default``."""
    own = MessageTemplate(shipped(default), markup, default)
    if conf.template is not None:
        return MessageTemplate(conf.template, markup, f"{conf.name}.template", fallback=own)
    if conf.template_file is not None:
        source = read_template(conf.template_file)
        return MessageTemplate(source, markup, str(conf.template_file), fallback=own)
    return own


def fit(text: str, max_bytes: int, note: str = "…（内容过长，已截断）") -> str:
    """``text`` within ``max_bytes`` of UTF-8, cut at a line end so no markup is cut in half."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    budget = max_bytes - len(("\n" + note).encode("utf-8"))
    out: list[str] = []
    used = 0
    for line in text.splitlines():
        size = len(line.encode("utf-8")) + 1
        if used + size > budget:
            break
        out.append(line)
        used += size
    if not out:  # one enormous first line: cut it by characters
        head = text.encode("utf-8")[: max(budget, 0)].decode("utf-8", errors="ignore")
        out = [head]
    return "\n".join(out) + "\n" + note
