"""Looking in a Slack channel for a send whose answer was lost: the wave's message, or a reply in
its thread, found by the metadata every message carries."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from yujing.store import ChatMessages

from .common import HANDLING, ours, refused

__all__ = ["ChannelSearch", "SEARCH_MARGIN"]

log = logging.getLogger("yujing.notifier.slack")

# A search starts this long before the lost send left: Slack's clock is not ours.
SEARCH_MARGIN = 120.0
SEARCH_PAGES = 10  # of up to 100 messages each; a busier channel than that is not searched
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")


class ChannelSearch:
    """Searches the receiver's channel; ``messages`` gives the store's chat messages (the
    channel's id, once learned, is kept there)."""

    def __init__(
        self, client: WebClient, name: str, channel: str, messages: Callable[[], ChatMessages]
    ):
        self.client = client
        self.name = name
        self.channel = channel
        self.messages = messages
        self._channel_id = channel if CHANNEL_ID.fullmatch(channel) else ""
        self._said_no_scope = False

    def learn(self, channel_id: str) -> None:
        """The channel's id, as Slack answered a post to it by name."""
        self._channel_id = self._channel_id or channel_id

    def message(self, alert_id: str, since: float) -> tuple[str, str] | None:
        """(channel, ts) of this wave's top-level message sent since ``since``, if any."""
        try:
            channel = self.channel_id()
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
                    payload = ours(m)
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
            if not refused(exc):
                raise
            self._cannot_search(exc)
        return None

    def reply(self, channel: str, ts: str, key: str, since: float) -> str | None:
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
            if not refused(exc):
                raise
            self._cannot_search(exc)
            return None
        for m in page.get("messages") or []:
            payload = ours(m)
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

    def channel_id(self) -> str:
        """The configured channel's id: searching takes an id, posting also takes a name."""
        if not self._channel_id:
            self._channel_id = self.messages().channel(self.name) or self._lookup_channel()
        return self._channel_id

    def _lookup_channel(self) -> str:
        assert self.channel
        wanted = self.channel.removeprefix("#")
        for page in self.client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=200
        ):
            for ch in page.get("channels") or []:
                if ch.get("name") == wanted:
                    return str(ch["id"])
        raise SlackRequestError(
            f"slack receiver {self.name}: no channel named {self.channel!r} is visible to "
            "the bot; write the channel's id (C0123ABC) as channel"
        )
