"""A chart of the wave's counts against the usual level, in the thread of its Slack message."""

from __future__ import annotations

import logging
from datetime import tzinfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from yujing import config as cfg
from yujing.alerts import AlertEvent

from ...chart import wave_chart

__all__ = ["send_chart"]

log = logging.getLogger("yujing.notifier.slack")


def send_chart(
    client: WebClient,
    event: AlertEvent,
    channel: str,
    ts: str,
    *,
    receiver: str,
    colour: str,
    tz: tzinfo,
    detection: cfg.Detection,
) -> None:
    """Uploads the chart; a failure is logged, never raised: the alert is delivered, and a
    missing picture is not worth sending it again."""
    burst = event.alert.burst
    if burst is None or not burst.series:
        return
    rule = detection.rule_for(event.alert.product)
    try:
        png = wave_chart(
            burst.series,
            usual=burst.baseline * rule.bucket / rule.window,
            bucket=rule.bucket,
            end=burst.window_end,
            tz=tz,
            colour=colour,
        )
        client.files_upload_v2(
            channel=channel,
            thread_ts=ts,
            file=png,
            filename=f"yujing-{event.alert.product}.png",
            title="投诉数量与平时水平",
            alt_txt="每个时段的投诉数（柱）与平时水平（虚线）",
        )
    except (SlackApiError, SlackRequestError, OSError, ValueError) as exc:
        log.warning("slack receiver %s: chart for %s not sent: %s", receiver, event.id, exc)
