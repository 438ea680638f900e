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

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from yujing import config as cfg
from yujing.alerts import AlertEvent, EventKind, Handling
from yujing.records import format_time
from yujing.store import ChatMessage, ChatMessages, Store
from yujing.views import AlertView, NotificationView

from ...notification import Notification, ReportMail
from ...render import SHANGHAI, alert_view, notification_view
from ...render import slack as render
from .. import ReceiverContext, RetryLater
from .charts import send_chart
from .common import HANDLING, event_key, event_metadata, handling_key, rate_limited, retry_after
from .search import ChannelSearch
from .webhook import SlackWebhookReceiver

__all__ = ["SlackReceiver"]


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
        self.search = ChannelSearch(self.client, conf.name, conf.channel, lambda: self.messages)

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
        self._rate_limited(lambda: self._deliver(notification))

    def send_report(self, mail: ReportMail) -> None:
        """The report's PDF as a file in the channel, its summary as the file's comment."""
        self._rate_limited(
            lambda: self.client.files_upload_v2(
                channel=self.search.channel_id(),
                file=mail.pdf,
                filename=mail.pdf_name,
                title=mail.title,
                initial_comment=f"*{mail.title}*\n{mail.summary}",
            )
        )

    def _rate_limited(self, call: Callable[[], Any]) -> None:
        """``call``; Slack's rate limit raised as ``RetryLater``, with when to try again."""
        try:
            call()
        except SlackApiError as exc:
            if rate_limited(exc):
                raise RetryLater(
                    f"slack rate limited {self.conf.channel}", retry_after(exc.response.headers)
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

    def _send(self, event: AlertEvent, peers_told: frozenset[str] = frozenset()) -> None:
        key, alert_id = event_key(event), event.alert.id
        row = self._conversation(event, peers_told)
        if row is not None and row.told == key:
            return  # delivered before a crash kept the outbox from hearing of it
        body = render.message(self._view(event))
        metadata = event_metadata(alert_id, key, event.event.value)
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
            found = self.search.message(alert_id, row.sending_since or 0.0)
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
            self.search.learn(channel)
            self.messages.posted(self.name, alert_id, channel, ts)
        self.messages.told(self.name, alert_id, key)
        # After "told": the chart is sent at most once; a crash here loses it, never repeats it.
        if event.alert.burst is not None and event.alert.burst.series:
            colour = render.colour(self._view(event))
            send_chart(
                self.client,
                event,
                channel,
                ts,
                receiver=self.name,
                colour=colour,
                tz=self.tz,
                detection=self.detection,
            )

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
        found = self.search.message(alert_id, _wave_began(event))
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
        self._reply(row, key, text, event_metadata(alert_id, key, "repeat"))
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
        metadata = event_metadata(alert_id, key, HANDLING)
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
        if row.sending == key and self.search.reply(row.channel, row.ts, key, since) is not None:
            return
        self.messages.sending(self.name, row.alert_id, key, self.clock())
        self.client.chat_postMessage(
            channel=row.channel, thread_ts=row.ts, text=text, metadata=metadata
        )


def _wave_began(event: AlertEvent) -> float:
    """When the wave's first message can have been posted at the earliest: the time in its id
    (``key@20261130T101500Z``, its onset, before anyone told it), else a day before this
    daemon saw it start."""
    stamp = event.alert.id.rpartition("@")[2]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return event.alert.started_at.timestamp() - 86400.0
