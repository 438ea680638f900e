"""Notifications to Slack: one conversation per alert (its wave).

With a bot token, each alert keeps a message of its own, whatever group its notifications
come in: an alert's first event posts one message (``chat.postMessage``) and a chart of its
counts into the message's thread; each later event edits the message to the wave as it stands
(``chat.update``) and says in one thread reply what changed. The detector sends events only on
material changes (severity up, count doubled, resolution), so every later event is worth that
reply. Of a notification, the alerts it tells anew (``changed``) are handled so; the others are
in it only to show the group, and their messages already say what they are. A reminder
(``repeat``) is a short reply "仍在持续" in each firing alert's thread, and a person's handling
action ("张三 已确认") a reply in its alert's thread. The message's id per receiver and alert is
kept in the store (``ChatMessages``), so a restart edits the same message.

A send whose answer was lost (a timeout after the request left, a crash before the answer was
kept) may have arrived. Every message carries Slack message metadata (``yujing_alert``, with the
alert and event ids); before such an event is sent again, the channel (or the thread) is
searched for it, from just before the lost send, and a message found is adopted, not repeated.

With an incoming webhook (``webhook_url``) Slack offers neither edits nor a way to read the
channel back: each notification is a message of its own (a group's alerts together), and a lost
answer may give a copy.

A 429 becomes ``RetryLater`` with Slack's Retry-After, so the outbox waits that long; the client
itself only retries a connection that failed before the request was sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from yujing import config as cfg
from yujing.alerts import AlertEvent, EventKind, Handling
from yujing.records import format_time
from yujing.store import ChatMessage, ChatMessages, Store
from yujing.views import AlertView, NotificationView

from ..notification import Notification
from ..render import SHANGHAI, alert_view, notification_view
from ..render import slack as render
from . import ReceiverContext, RetryLater

__all__ = [
    "SlackReceiver",
    "SlackWebhookReceiver",
    "EVENT_TYPE",
    "event_key",
    "handling_key",
]

log = logging.getLogger("yujing.notifier.slack")

EVENT_TYPE = "yujing_alert"  # the metadata event type our messages carry
HANDLING = "handling"  # the metadata "event" of a handling line
# A search starts this long before the lost send left: Slack's clock is not ours.
SEARCH_MARGIN = 120.0
SEARCH_PAGES = 10  # of up to 100 messages each; a busier channel than that is not searched
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")


def event_key(event: AlertEvent) -> str:
    """One event's id: the alert (the wave), what happened, and when."""
    return f"{event.alert.id}|{event.event.value}|{format_time(event.alert.updated_at)}"


def handling_key(h: Handling) -> str:
    """One handling action's id: the alert, and a digest of who did what, when and why."""
    body = json.dumps(h.to_dict(), ensure_ascii=False, sort_keys=True)
    return f"{h.alert_id}|{HANDLING}|{hashlib.sha256(body.encode('utf-8')).hexdigest()[:16]}"


def _rate_limited(exc: SlackApiError) -> bool:
    return exc.response.get("error") == "ratelimited" or exc.response.status_code == 429


def _refused(exc: SlackApiError) -> bool:
    """Slack answered the search and said no (missing_scope, not_in_channel...): it cannot be
    made, so the event is sent again. A rate limit, or no proper answer (an HTTP 5xx page while
    Slack is unwell), says nothing of the kind: the outbox tries the search again later, as a
    send now could repeat a message that arrived."""
    return exc.response.status_code == 200 and not _rate_limited(exc)


class SlackReceiver:
    def __init__(
        self,
        conf: cfg.SlackReceiver,
        messages: ChatMessages | Path,
        *,
        tz: tzinfo = SHANGHAI,
        names: Mapping[str, str] | None = None,
        detection: cfg.Detection | None = None,
        timeout: int = 10,
        clock: Callable[[], float] = time.time,
    ):
        """``messages`` keeps each wave's message id; given the store's path, the receiver opens
        its own connection on the first send (and ``close`` closes it)."""
        assert conf.token and conf.channel, "a bot token and a channel (see SlackWebhookReceiver)"
        self.conf = conf
        self.name = conf.name
        self.tz = tz
        self.names = dict(names or {})
        self.detection = detection or cfg.Detection()
        self.clock = clock
        self._messages = messages
        self._store: Store | None = None
        self._channel_id = conf.channel if CHANNEL_ID.fullmatch(conf.channel) else ""
        self._said_no_scope = False
        base_url = conf.base_url or WebClient.BASE_URL
        # slack_sdk joins method names onto base_url, which therefore must end with "/".
        # The client retries only a connection that failed before the request went out (urllib
        # wraps those in URLError); a call that may have reached Slack is the outbox's to retry,
        # after a search.
        self.client = WebClient(
            token=conf.token,
            base_url=base_url.rstrip("/") + "/",
            timeout=timeout,
            retry_handlers=[ConnectionErrorRetryHandler(error_types=[URLError])],
        )

    @classmethod
    def from_config(
        cls, conf: cfg.SlackReceiver, context: ReceiverContext
    ) -> SlackReceiver | SlackWebhookReceiver:
        if conf.webhook_url:
            return SlackWebhookReceiver(conf, tz=context.tz, names=context.names)
        # Its own connection to the store: sends run in a worker thread, and the daemon's
        # connection belongs to the event loop's.
        return cls(
            conf,
            context.config.storage.path,
            tz=context.tz,
            names=context.names,
            detection=context.config.detection,
        )

    @property
    def messages(self) -> ChatMessages:
        if not isinstance(self._messages, ChatMessages):
            self._store = Store(self._messages)
            self._messages = self._store.chat
        return self._messages

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def send(self, notification: Notification) -> None:
        try:
            self._deliver(notification)
        except SlackApiError as exc:
            if _rate_limited(exc):
                raise RetryLater(
                    f"slack rate limited {self.conf.channel}", _retry_after(exc.response.headers)
                ) from exc
            raise

    def _deliver(self, n: Notification) -> None:
        """Each alert in its own conversation. An alert done before a later one failed is not
        done again when the outbox retries the notification: its ``told`` says so."""
        if n.handling is not None:
            self._handling(n, n.handling)
            return
        for event in n.events:
            if n.repeat:
                if event.event is not EventKind.RESOLVED:
                    self._remind(event, n)
            elif event.id in n.changed:
                self._send(event, n.peers_told)

    def _view(self, event: AlertEvent) -> AlertView:
        return alert_view(event, tz=self.tz, names=self.names)

    def _views(self, n: Notification) -> NotificationView:
        return notification_view(n, tz=self.tz, names=self.names)

    def _metadata(self, alert_id: str, key: str, kind: str) -> dict[str, Any]:
        return {
            "event_type": EVENT_TYPE,
            "event_payload": {"alert_id": alert_id, "event_id": key, "event": kind},
        }

    def _send(self, event: AlertEvent, peers_told: frozenset[str] = frozenset()) -> None:
        key, alert_id = event_key(event), event.alert.id
        row = self._conversation(event, peers_told)
        if row is not None and row.told == key:
            return  # delivered before a crash kept the outbox from hearing of it
        body = render.message(self._view(event))
        metadata = self._metadata(alert_id, key, event.event.value)
        if row is None or row.ts is None:
            self._open(event, key, row, body, metadata)
        else:
            self._follow(event, key, row, body, metadata)

    def _open(
        self,
        event: AlertEvent,
        key: str,
        row: ChatMessage | None,
        body: dict[str, Any],
        metadata: dict[str, Any],
    ) -> None:
        """The wave's first message, or the one a lost answer left in the channel."""
        alert_id = event.alert.id
        found = None
        if row is not None and row.sending is not None:
            found = self._find_message(alert_id, row.sending_since or 0.0)
        if found is not None:
            channel, ts = found
            self.messages.posted(self.name, alert_id, channel, ts)
            # It shows the event it was sent with; bring it to this one.
            self.client.chat_update(channel=channel, ts=ts, metadata=metadata, **body)
        else:
            self.messages.sending(self.name, alert_id, key, self.clock())
            answer = self.client.chat_postMessage(
                channel=self.conf.channel, metadata=metadata, **body
            )
            channel, ts = str(answer["channel"]), str(answer["ts"])
            self._channel_id = self._channel_id or channel
            self.messages.posted(self.name, alert_id, channel, ts)
        self.messages.told(self.name, alert_id, key)
        # After "told": the chart is sent at most once; a crash here loses it, never repeats it.
        self._chart(event, channel, ts)

    def _follow(
        self,
        event: AlertEvent,
        key: str,
        row: ChatMessage,
        body: dict[str, Any],
        metadata: dict[str, Any],
    ) -> None:
        """A later event: edit the wave's message, and say in its thread what changed."""
        assert row.ts is not None
        self.client.chat_update(channel=row.channel, ts=row.ts, metadata=metadata, **body)
        if event.event is not EventKind.FIRING:  # a repeated first event changes nothing
            text = render.reply(self._view(event))
            self._reply(row, key, text, metadata)
        self.messages.told(self.name, event.alert.id, key)

    def _conversation(self, event: AlertEvent, peers_told: frozenset[str]) -> ChatMessage | None:
        """The alert's message as this store knows it; else, when a peer daemon told the alert
        (``notify.peers``), the message it posted, found in the channel by its metadata, so
        this daemon goes on with the same conversation."""
        row = self.messages.get(self.name, event.alert.id)
        if row is None and event.alert.id in peers_told:
            row = self._adopt(event)
        return row

    def _adopt(self, event: AlertEvent) -> ChatMessage | None:
        alert_id = event.alert.id
        found = self._find_message(alert_id, _wave_began(event))
        if found is None:
            return None
        self.messages.posted(self.name, alert_id, *found)
        return self.messages.get(self.name, alert_id)

    def _remind(self, event: AlertEvent, n: Notification) -> None:
        """A reminder that the wave goes on: a reply in its thread, not a new message."""
        alert_id = event.alert.id
        row = self._conversation(event, n.peers_told)
        if row is None or row.ts is None:
            self._send(event)  # no conversation to remind in: the alert's message starts one
            return
        key = f"{alert_id}|repeat|{format_time(n.at) if n.at else ''}"
        if row.told == key:
            return
        text = render.reminder(self._view(event))
        self._reply(row, key, text, self._metadata(alert_id, key, "repeat"))
        self.messages.told(self.name, alert_id, key)

    def _handling(self, n: Notification, h: Handling) -> None:
        """A person's action, in the thread of the alert it is about."""
        alert_id = h.alert_id
        key = handling_key(h)
        row = self.messages.get(self.name, alert_id)
        if row is None and alert_id in n.peers_told and n.events:
            row = self._adopt(n.events[0])
        if row is not None and row.told == key:
            return
        metadata = self._metadata(alert_id, key, HANDLING)
        if row is None or row.ts is None:
            # The alert has no message here to reply under (it was told before this receiver
            # kept them): the line stands alone, with the alert's title.
            self.messages.sending(self.name, alert_id, key, self.clock())
            body = render.notification(self._views(n))
            self.client.chat_postMessage(channel=self.conf.channel, metadata=metadata, **body)
        else:
            self._reply(row, key, render.handling_reply(self._views(n)), metadata)
        self.messages.told(self.name, alert_id, key)

    def _reply(self, row: ChatMessage, key: str, text: str, metadata: dict[str, Any]) -> None:
        """One reply in the thread of ``row``'s message, unless a lost send already put it
        there."""
        assert row.ts is not None
        since = row.sending_since or 0.0
        if row.sending == key and self._find_reply(row.channel, row.ts, key, since) is not None:
            return
        self.messages.sending(self.name, row.alert_id, key, self.clock())
        self.client.chat_postMessage(
            channel=row.channel, thread_ts=row.ts, text=text, metadata=metadata
        )

    # -- looking for a send whose answer was lost

    def _find_message(self, alert_id: str, since: float) -> tuple[str, str] | None:
        """(channel, ts) of this wave's top-level message sent since ``since``, if any."""
        try:
            channel = self._resolve_channel()
            cursor = None
            for _ in range(SEARCH_PAGES):
                page = self.client.conversations_history(
                    channel=channel,
                    oldest=f"{since - SEARCH_MARGIN:.6f}",
                    include_all_metadata=True,
                    limit=100,
                    cursor=cursor,
                )
                for m in page.get("messages") or []:
                    payload = _ours(m)
                    # A handling line standing alone is not the alert's message.
                    if (
                        payload is not None
                        and payload.get("alert_id") == alert_id
                        and payload.get("event") != HANDLING
                    ):
                        return channel, str(m["ts"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    break
        except SlackApiError as exc:
            if not _refused(exc):
                raise
            self._cannot_search(exc)
        return None

    def _find_reply(self, channel: str, ts: str, key: str, since: float) -> str | None:
        """The ts of the reply for event ``key`` in the thread under ``ts``, if there is one."""
        try:
            page = self.client.conversations_replies(
                channel=channel,
                ts=ts,
                oldest=f"{since - SEARCH_MARGIN:.6f}",
                include_all_metadata=True,
                limit=200,
            )
        except SlackApiError as exc:
            if not _refused(exc):
                raise
            self._cannot_search(exc)
            return None
        for m in page.get("messages") or []:
            payload = _ours(m)
            if m.get("ts") != ts and payload is not None and payload.get("event_id") == key:
                return str(m["ts"])
        return None

    def _cannot_search(self, exc: SlackApiError) -> None:
        # Better a possible copy than a lost alert: without the history scopes, send again.
        # Said once (then DEBUG): the scope stays missing until someone adds it.
        level = logging.DEBUG if self._said_no_scope else logging.WARNING
        self._said_no_scope = True
        log.log(
            level,
            "slack receiver %s cannot look for a message that may have arrived (%s; the bot "
            "needs channels:history, or groups:history for a private channel); sending again",
            self.name,
            exc.response.get("error"),
        )

    def _resolve_channel(self) -> str:
        """The configured channel's id: searching takes an id, posting also takes a name."""
        if not self._channel_id:
            self._channel_id = self.messages.channel(self.name) or self._lookup_channel()
        return self._channel_id

    def _lookup_channel(self) -> str:
        assert self.conf.channel
        wanted = self.conf.channel.removeprefix("#")
        for page in self.client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=200
        ):
            for ch in page.get("channels") or []:
                if ch.get("name") == wanted:
                    return str(ch["id"])
        raise SlackRequestError(
            f"slack receiver {self.name}: no channel named {self.conf.channel!r} is visible to "
            "the bot; write the channel's id (C0123ABC) as channel"
        )

    # -- the chart

    def _chart(self, event: AlertEvent, channel: str, ts: str) -> None:
        burst = event.alert.burst
        if burst is None or not burst.series:
            return
        from ..chart import wave_chart  # matplotlib only loads when a chart is drawn

        rule = self.detection.rule_for(event.alert.product)
        try:
            png = wave_chart(
                burst.series,
                usual=burst.baseline * rule.bucket / rule.window,
                bucket=rule.bucket,
                end=burst.window_end,
                tz=self.tz,
                colour=render.colour(self._view(event)),
            )
            self.client.files_upload_v2(
                channel=channel,
                thread_ts=ts,
                file=png,
                filename=f"yujing-{event.alert.product}.png",
                title="投诉数量与平时水平",
                alt_txt="每个时段的投诉数（柱）与平时水平（虚线）",
            )
        except (SlackApiError, SlackRequestError, OSError, ValueError) as exc:
            # The alert is delivered; a missing picture is not worth sending it again.
            log.warning("slack receiver %s: chart for %s not sent: %s", self.name, event.id, exc)


def _wave_began(event: AlertEvent) -> float:
    """When the wave's first message can have been posted at the earliest: the time in its id
    (``key@20261130T101500Z``, its onset, before anyone told it), else a day before this
    daemon saw it start."""
    stamp = event.alert.id.rpartition("@")[2]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return event.alert.started_at.timestamp() - 86400.0


def _ours(message: Mapping[str, Any]) -> dict[str, Any] | None:
    meta = message.get("metadata") or {}
    if meta.get("event_type") != EVENT_TYPE:
        return None
    payload = meta.get("event_payload")
    return payload if isinstance(payload, dict) else None


class SlackWebhookReceiver:
    """Each notification as a message of its own through an incoming webhook: no edits, no
    thread."""

    def __init__(
        self,
        conf: cfg.SlackReceiver,
        *,
        tz: tzinfo = SHANGHAI,
        names: Mapping[str, str] | None = None,
        timeout: int = 10,
    ):
        assert conf.webhook_url
        self.conf = conf
        self.tz = tz
        self.names = dict(names or {})
        self.client = WebhookClient(
            conf.webhook_url,
            timeout=timeout,
            retry_handlers=[ConnectionErrorRetryHandler(error_types=[URLError])],
        )

    def send(self, notification: Notification) -> None:
        body = render.notification(notification_view(notification, tz=self.tz, names=self.names))
        answer = self.client.send_dict(body)
        if answer.status_code == 429:
            raise RetryLater(
                f"slack webhook {self.conf.name} rate limited", _retry_after(answer.headers)
            )
        if answer.status_code != 200:
            # The body names the problem: invalid_payload, channel_is_archived, no_service...
            raise SlackRequestError(
                f"slack webhook {self.conf.name} answered {answer.status_code}: {answer.body}"
            )


def _retry_after(headers: Mapping[str, Any]) -> float:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(1.0, float(value))
            except (TypeError, ValueError):
                break
    return 60.0  # Slack always sends the header; if not, a minute is its usual window
