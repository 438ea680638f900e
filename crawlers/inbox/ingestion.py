"""Reading transcript files into a sink, whoever asks (the inbox folder's poll, ``yujing
ingest``): a file is checked whole first (``CheckedFile``), then its posts are handed to the sink,
in batches when the sink takes them (``Ingestion``); what got through is counted."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Protocol
from zoneinfo import ZoneInfo

from yujing.records import Post
from yujing.store import why_unusable

from .calls import CallLayout
from .encoding import TextLimits
from .files import open_regular
from .formats import check_suffix, iter_transcripts
from .posts import to_post
from .records import Transcript

__all__ = [
    "BATCH",
    "READ_ONCE_BYTES",
    "Sink",
    "BatchSink",
    "StreamSink",
    "InboxResult",
    "InboxSinkError",
    "Ingestion",
    "CheckedFile",
]

log = logging.getLogger("yujing.inbox")

Sink = Callable[[Post], bool]


class BatchSink(Protocol):
    """A sink that stores many posts in one transaction (the daemon's ``Intake``): one answer
    per post, given only once the batch is committed."""

    def accept_many(self, batch: Sequence[Post]) -> list[bool]: ...


class StreamSink(Protocol):
    """A BatchSink that may work on later batches while it commits one (``yujing ingest``
    understanding in worker processes): the answers of each batch, in order, each given once
    that batch is committed. Taken when a sink has it."""

    def accept_stream(self, batches: Iterable[Sequence[Post]]) -> Iterator[list[bool]]: ...


# Posts handed over at once to a BatchSink: one commit each, and the longest the inbox's
# thread waits on the daemon's loop.
BATCH = 500
# A file up to this size is parsed once, its records kept from the check for storing (about
# twice its size in memory); a larger one is parsed twice, holding nothing between the passes.
READ_ONCE_BYTES = 32 * 2**20


@dataclass(frozen=True, slots=True)
class InboxResult:
    files: int = 0  # files ingested completely
    posts: int = 0  # posts handed to the sink
    accepted: int = 0  # of which the sink took as new
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


class InboxSinkError(RuntimeError):
    """The sink raised on some files; they were left in place for the next poll.

    Raised after the other files were handled, so one failing file cannot stall the inbox;
    ``result`` counts what did get through.
    """

    def __init__(self, result: InboxResult, failed: list[tuple[str, Exception]]):
        self.result = result
        self.failed = failed
        detail = ", ".join(f"{name} ({type(exc).__name__}: {exc})" for name, exc in failed)
        super().__init__(
            f"storing transcripts failed for {len(failed)} file(s), kept for retry: {detail}"
        )


class Ingestion:
    """Counts for one poll or one ``ingest`` command, and the shared read-parse-sink step."""

    def __init__(
        self,
        source: str,
        salt: str,
        tz: ZoneInfo,
        limits: TextLimits,
        layout: CallLayout | None = None,
    ):
        self.source = source
        self.salt = salt
        self.tz = tz
        self.limits = limits
        self.layout = layout or CallLayout()
        self.files = 0
        self.posts = 0
        self.accepted = 0
        self.quarantined: list[tuple[str, str]] = []
        self.failed: list[tuple[str, Exception]] = []

    def parse(self, path: Path, shown: str, *, follow: bool = False) -> CheckedFile:
        """Read and check the whole file (the first of two passes); raises TranscriptError,
        NotAFile or OSError. The result holds the file open for the second pass: close it when
        done. ``follow``: a link is followed and a pipe read (files a user names), see
        ``files.open_regular``."""
        check_suffix(path.name, shown)  # before reading: the wrong file may be large
        stream = open_regular(path, follow=follow)
        try:
            stat = os.fstat(stream.fileno())
            checked = CheckedFile(self, stream, path.name, shown, stat)
            checked.check()
        except BaseException:
            stream.close()
            raise
        return checked

    def feed(self, checked: CheckedFile, sink: Sink | BatchSink | StreamSink) -> bool:
        """Hand every post of a checked file to the sink, in batches if it takes them; False
        (and noted) when the sink raised, or the file changed since it was checked. Batches
        committed before a failure stay: ids make the retry safe."""
        many = getattr(sink, "accept_many", None)
        stream = getattr(sink, "accept_stream", None)
        try:
            posts = checked.posts()
            if stream is not None or many is not None:
                batches = iter(lambda: list(islice(posts, BATCH)), [])
                for answers in stream(batches) if stream is not None else map(many, batches):
                    self.posts += len(answers)
                    self.accepted += sum(answers)
            else:
                for post in posts:
                    self.posts += 1
                    if sink(post):  # type: ignore[operator]
                        self.accepted += 1
        except Exception as exc:
            shown = checked.shown
            if isinstance(exc, sqlite3.DatabaseError | OSError):  # the store's, and said so
                log.error(
                    "storing transcripts from %s failed: the store %s; the file is kept for retry",
                    shown,
                    why_unusable(exc),
                )
            else:
                log.exception(
                    "storing transcripts from %s failed; the file is kept for retry", shown
                )
            self.failed.append((shown, exc))
            return False
        finally:
            checked.close()
        return True

    def result(self) -> InboxResult:
        result = InboxResult(self.files, self.posts, self.accepted, list(self.quarantined))
        if self.failed:
            raise InboxSinkError(result, self.failed) from self.failed[0][1]
        return result


class CheckedFile:
    """A transcript file read through once without a problem, still open.

    A file larger than ``READ_ONCE_BYTES`` has its posts read again while they are stored
    (``posts``), so it is never held in memory whole, however many calls it has. A smaller one,
    and a stream that cannot be read twice (a pipe given to ``yujing ingest``), keep their
    calls from the first pass instead, and are parsed once.
    """

    def __init__(
        self, run: Ingestion, stream: BinaryIO, name: str, shown: str, stat: os.stat_result
    ):
        self.run = run
        self.stream = stream
        self.name = name
        self.shown = shown
        self.size = stat.st_size
        self.stamp = (stat.st_size, stat.st_mtime_ns)
        # Calls without a time of their own are dated by the file; a file dated in the future
        # (a writer's clock ahead of ours) dates them now, not in a window still to come.
        self.mtime = datetime.fromtimestamp(min(stat.st_mtime, time.time()), UTC)
        self.seekable = stream.seekable()
        read_once = not self.seekable or self.size <= READ_ONCE_BYTES
        self.kept: list[Transcript] | None = [] if read_once else None
        self.count = 0

    def check(self) -> None:
        for record in self._records():
            self.count += 1
            if self.kept is not None:
                self.kept.append(record)

    def posts(self) -> Iterator[Post]:
        """The posts again; raises RuntimeError at the end if the file changed meanwhile (the
        posts given are stored; the rest waits for the next poll, which checks it again)."""
        if self.kept is not None:
            records: Iterable[Transcript] = self.kept
        else:
            self.stream.seek(0)
            records = self._records()
        run, count = self.run, 0
        for r in records:
            count += 1
            yield to_post(r, source=run.source, file=self.name, salt=run.salt)
        if not self.seekable:
            return  # a pipe, read once: nothing could change between the passes
        # Kept or read again, a file written to meanwhile has more than what was stored.
        stat = os.fstat(self.stream.fileno())
        if count != self.count or (stat.st_size, stat.st_mtime_ns) != self.stamp:
            raise RuntimeError(
                f"{self.shown} changed while it was being stored; it is read again next time"
            )

    def close(self) -> None:
        self.stream.close()

    def _records(self) -> Iterator[Transcript]:
        run = self.run
        return iter_transcripts(
            self.name,
            self.stream,
            self.mtime,
            run.tz,
            shown_as=self.shown,
            limits=run.limits,
            layout=run.layout,
            size=self.size,
        )
