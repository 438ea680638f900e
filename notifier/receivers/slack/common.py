"""What the Slack receiver writes into each message's metadata, and how it reads Slack's
answers: the ids that let a lost send be found again, rate limits and refusals."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError

from yujing.alerts import AlertEvent, Handling
from yujing.records import format_time

__all__ = [
    "EVENT_TYPE",
    "HANDLING",
    "event_key",
    "handling_key",
    "event_metadata",
    "ours",
    "rate_limited",
    "refused",
    "retry_after",
]

EVENT_TYPE = "yujing_alert"  # the metadata event type our messages carry
HANDLING = "handling"  # the metadata "event" of a handling line


def event_key(event: AlertEvent) -> str:
    """One event's id: the alert (the wave), what happened, and when."""
    return f"{event.alert.id}|{event.event.value}|{format_time(event.alert.updated_at)}"


def handling_key(h: Handling) -> str:
    """One handling action's id: the alert, and a digest of who did what, when and why."""
    body = json.dumps(h.to_dict(), ensure_ascii=False, sort_keys=True)
    return f"{h.alert_id}|{HANDLING}|{hashlib.sha256(body.encode('utf-8')).hexdigest()[:16]}"


def rate_limited(exc: SlackApiError) -> bool:
    return exc.response.get("error") == "ratelimited" or exc.response.status_code == 429


def refused(exc: SlackApiError) -> bool:
    """Slack answered the search and said no (missing_scope, not_in_channel...): it cannot be
    made, so the event is sent again. A rate limit, or no proper answer (an HTTP 5xx page while
    Slack is unwell), says nothing of the kind: the outbox tries the search again later, as a
    send now could repeat a message that arrived."""
    return exc.response.status_code == 200 and not rate_limited(exc)


def event_metadata(alert_id: str, key: str, kind: str) -> dict[str, Any]:
    """Slack message metadata naming the alert and the event a message tells."""
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {"alert_id": alert_id, "event_id": key, "event": kind},
    }


def ours(message: Mapping[str, Any]) -> dict[str, Any] | None:
    meta = message.get("metadata") or {}
    if meta.get("event_type") != EVENT_TYPE:
        return None
    payload = meta.get("event_payload")
    return payload if isinstance(payload, dict) else None


def retry_after(headers: Mapping[str, Any]) -> float:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(1.0, float(value))
            except (TypeError, ValueError):
                break
    return 60.0  # Slack always sends the header; if not, a minute is its usual window
