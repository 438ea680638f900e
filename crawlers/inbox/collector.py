"""The inbox as a collector: one pass over a transcripts source's folder per run.

The pass works off the event loop: reading, decoding and parsing files (of any size) happen in a
worker thread, so crawls, deliveries and signals go on meanwhile; only storing, a batch at a
time, comes back to the loop, which owns the store and the intake.
"""

from __future__ import annotations

import asyncio

from yujing.config import TranscriptSource
from yujing.records import Post

from ..collect import CollectContext, Collected, Collector
from .folder import TranscriptInbox
from .ingestion import InboxSinkError

__all__ = ["InboxCollector"]


class InboxCollector(Collector):
    def __init__(self) -> None:
        # Each source's inbox, kept between runs: it remembers which files are still settling.
        self._inboxes: dict[str, tuple[tuple[TranscriptSource, str, str], TranscriptInbox]] = {}
        self._sinks: set[_LoopSink] = set()  # passes in progress, in worker threads

    async def collect(self, source: TranscriptSource, context: CollectContext) -> Collected:
        problems: list[str] = []
        problem: str | None = None
        sink = _LoopSink(context, asyncio.get_running_loop())
        self._sinks.add(sink)
        try:
            result = await asyncio.to_thread(self.inbox(source, context).process, sink)
        except InboxSinkError as exc:
            # Files whose posts could not be stored stay in the inbox and are retried next run.
            result = exc.result
            problems += [f"{file}: {err}" for file, err in exc.failed]
            problem = "store"
        finally:
            self._sinks.discard(sink)
        problems += [reason for _, reason in result.quarantined]
        if result.quarantined and problem is None:
            problem = "quarantined"
        return Collected(
            source.name,
            items=result.posts,
            accepted=result.accepted,
            errors=len(problems),
            last_error="; ".join(problems) or None,
            problem=problem,
        )

    def inbox(self, source: TranscriptSource, context: CollectContext) -> TranscriptInbox:
        """The source's inbox; a new one when its config, the salt or the time zone changed."""
        made_for = (source, context.salt, context.timezone)
        kept = self._inboxes.get(source.name)
        if kept is None or kept[0] != made_for:
            inbox = TranscriptInbox(source, salt=context.salt, timezone=context.timezone)
            kept = self._inboxes[source.name] = (made_for, inbox)
        return kept[1]

    async def stop(self) -> None:
        for sink in self._sinks:
            sink.closed = True  # a pass stores nothing more; its files stay for later


class _LoopSink:
    """The inbox's sink, called from its worker thread: each batch is stored on the daemon's
    loop (the store's connection and the copy index belong to it), and the thread waits until
    the batch is committed, so a file is moved to done only after all its posts are."""

    def __init__(self, context: CollectContext, loop: asyncio.AbstractEventLoop):
        self.context = context
        self.loop = loop
        self.closed = False

    def accept_many(self, batch: list[Post]) -> list[bool]:
        if self.closed:
            raise RuntimeError("the daemon is stopping; the file is kept for the next run")
        return asyncio.run_coroutine_threadsafe(self._store(batch), self.loop).result()

    async def _store(self, batch: list[Post]) -> list[bool]:
        # The intake of the moment: a reload may have replaced it since the pass began.
        return self.context.accept_many(batch)
