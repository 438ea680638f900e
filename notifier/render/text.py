"""Messages as plain text: the shipped text template for a whole message (e-mail bodies, webhook
payloads, Slack's notification text, the demo's panels), and one line for logs."""

from __future__ import annotations

from functools import cache

from yujing.views import AlertView, NotificationView

from .markdown import PLAIN
from .template import MessageTemplate, shipped
from .view import REMINDER

__all__ = ["plain_text", "alert_text", "alone", "one_line", "notification_line"]


@cache
def _template() -> MessageTemplate:
    return MessageTemplate(shipped("text.txt.j2"), PLAIN, "text.txt.j2")


def plain_text(view: NotificationView) -> str:
    """The message as the shipped plain-text template writes it, its title first."""
    return _template().render(view.fields())


def alert_text(alert: AlertView) -> str:
    """One alert's message as plain text, its title first."""
    return plain_text(alone(alert))


def alone(alert: AlertView) -> NotificationView:
    """A message of one alert."""
    return NotificationView(
        lead=alert,
        title=alert.title,
        id=alert.id,
        alerts=(alert,),
        status="resolved" if alert.resolved else "firing",
        repeat=False,
        firing_count=0 if alert.resolved else 1,
        resolved_count=1 if alert.resolved else 0,
    )


def one_line(alert: AlertView) -> str:
    """Title, counts and reasons on one line."""
    counts = f" {alert.counts}" if alert.counts else ""
    reasons = "；".join(alert.reasons)
    return f"{alert.title}{counts}" + (f" — {reasons}" if reasons else "")


def notification_line(view: NotificationView) -> str:
    """The notification on one line, for logs."""
    if view.handling:
        return f"{view.title} [{view.id}]"
    if len(view.alerts) == 1:
        line = f"{one_line(view.alerts[0])} [{view.id}]"
        return REMINDER + line if view.repeat else line
    each = " ｜ ".join(f"{one_line(a)} [{a.id}]" for a in view.alerts)
    return f"{view.title} — {each}"
