"""Messages for PR teams, Chinese first, short enough to read on a phone: one typed view of the
message (``yujing.views``), built once from a notification's alert events (``view``), written
as plain text (``text``), Slack's Block Kit (``slack``) or a Jinja2 template in a chat app's
markdown or plain text (``template``, ``markdown``). Receivers only send what these write."""

from __future__ import annotations

from .markdown import MARKDOWN, PLAIN, md_escape, md_url, report_markdown
from .template import MessageTemplate, fit, template_for
from .text import alert_text, notification_line, one_line, plain_text
from .view import SHANGHAI, alert_view, notification_view

__all__ = [
    "alert_view",
    "notification_view",
    "alert_text",
    "plain_text",
    "one_line",
    "notification_line",
    "MessageTemplate",
    "template_for",
    "fit",
    "MARKDOWN",
    "PLAIN",
    "md_escape",
    "md_url",
    "report_markdown",
    "SHANGHAI",
]
