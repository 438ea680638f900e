"""The call-centre transcript inbox: files dropped in a folder become posts.

A file is ingested whole or not at all. It is parsed completely first; a file of up to
``READ_ONCE_BYTES`` keeps its records from that pass, a larger one is streamed (a pass that keeps
nothing; its posts are read again as they are stored, so memory stays flat whatever its size). A
file with any bad record goes to
``quarantine/`` with a ``NAME.reason.txt`` saying which line and field to fix, and none of
its records reach the sink. A good file moves to ``done/`` only after every record was handed to
the sink, so when the sink fails the file stays put and the next poll retries it. Retrying is safe
because post ids are stable: records already stored come back as duplicates.

Only regular files placed in the inbox are read (``inbox_files``); links, pipes and devices are
quarantined with a reason that says what they are, never with what they hold. File names are
shown escaped (``yujing.printable``) wherever they are written: a name with a newline cannot
forge a log line.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

from yujing.config import TranscriptSource
from yujing.printable import printable
from yujing.records import Post, hash_author, post_id, utcnow
from yujing.store import why_unusable

from .inbox_files import NotAFile, Settling, is_partial, open_regular, refusal
from .inbox_formats import (
    CallLayout,
    TextLimits,
    Transcript,
    TranscriptError,
    check_suffix,
    iter_transcripts,
    normalise_caller,
)

__all__ = [
    "BATCH",
    "BatchSink",
    "StreamSink",
    "InboxResult",
    "InboxSinkError",
    "TranscriptError",
    "TranscriptInbox",
    "ingest_files",
    "layout_of",
    "limits_of",
    "to_post",
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


def to_post(t: Transcript, *, source: str, file: str, salt: str) -> Post:
    """The post for one transcript; ``file`` is the bare name the file arrived with."""
    # The url names the file as it arrived, not where it ends up, so it never changes.
    base, shown = _file_names(source, file)
    url = base + (f"#{t.line}" if t.line else "")
    return Post(
        source=source,
        url=url,
        id=post_id(source, t.native_id),
        author=hash_author(normalise_caller(t.caller) if t.caller else None, salt),
        title=" ".join(t.text.split())[:30],
        text=t.text,
        published_at=t.published_at,
        fetched_at=utcnow(),
        extras={
            "agent": t.agent,
            "duration": t.duration,
            "product": t.product,
            "file": shown,
            "line": t.line,
            "channel": "hotline",
            # The call centre's own id: what a PR person quotes to find the recording.
            **({"call_id": t.call_id} if t.call_id else {}),
            # Cut at max_text_chars: the length it had, so nobody takes the cut for the call.
            **({"truncated_from": t.truncated_from} if t.truncated_from else {}),
        },
    )


@lru_cache(maxsize=64)
def _file_names(source: str, file: str) -> tuple[str, str]:
    """A file's url and its name as shown: the same for each of its calls, made once."""
    return f"transcript://{quote(source)}/{quote(file)}", printable(file)


def layout_of(source: TranscriptSource | None) -> CallLayout:
    """How a source's exports name their columns and roles (the usual names without one)."""
    if source is None:
        return CallLayout()
    return CallLayout.of(source.columns, source.roles.customer, source.roles.agent)


def limits_of(source: TranscriptSource | None) -> TextLimits:
    """The reading limits a source's config sets (the safe defaults without one)."""
    if source is None:
        return TextLimits()
    limits = source.limits
    return TextLimits(
        max_file_bytes=int(limits.max_file_mb * 1024 * 1024),
        max_line_chars=limits.max_line_chars,
        max_text_chars=limits.max_text_chars,
    )


class _Run:
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

    def parse(self, path: Path, shown: str, *, follow: bool = False) -> _Checked:
        """Read and check the whole file (the first of two passes); raises TranscriptError,
        NotAFile or OSError. The result holds the file open for the second pass: close it when
        done. ``follow``: a link is followed and a pipe read (files a user names), see
        ``inbox_files.open_regular``."""
        check_suffix(path.name, shown)  # before reading: the wrong file may be large
        stream = open_regular(path, follow=follow)
        try:
            stat = os.fstat(stream.fileno())
            checked = _Checked(self, stream, path.name, shown, stat)
            checked.check()
        except BaseException:
            stream.close()
            raise
        return checked

    def feed(self, checked: _Checked, sink: Sink | BatchSink | StreamSink) -> bool:
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


class _Checked:
    """A transcript file read through once without a problem, still open.

    A file larger than ``READ_ONCE_BYTES`` has its posts read again while they are stored
    (``posts``), so it is never held in memory whole, however many calls it has. A smaller one,
    and a stream that cannot be read twice (a pipe given to ``yujing ingest``), keep their
    calls from the first pass instead, and are parsed once.
    """

    def __init__(self, run: _Run, stream: BinaryIO, name: str, shown: str, stat: os.stat_result):
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


class TranscriptInbox:
    """Polls ``source.path`` for transcript files; see the module docstring for the rules."""

    def __init__(
        self,
        source: TranscriptSource,
        *,
        salt: str,
        timezone: str = "Asia/Shanghai",
        settle_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
    ):
        self.source = source
        self.salt = salt
        # Times without a zone: the source's own zone when it has one, else the config's.
        self.tz = ZoneInfo(source.timezone or timezone)
        # A file modified this recently may still be being copied in.
        self.settle_seconds = settle_seconds
        self._settling = Settling(settle_seconds)
        self._clock = clock
        if source.path is None:
            raise ValueError(f"source {source.name} has no path: it is fed by POST /ingest only")
        self.root = Path(source.path)
        self.done = self.root / "done"
        self.quarantine = self.root / "quarantine"

    def process(self, sink: Sink | BatchSink | StreamSink) -> InboxResult:
        """Ingest every settled file. Raises InboxSinkError (after the rest) if the sink raised."""
        for folder in (self.root, self.done, self.quarantine):
            folder.mkdir(parents=True, exist_ok=True)
        run = _Run(
            self.source.name,
            self.salt,
            self.tz,
            limits_of(self.source),
            layout_of(self.source),
        )
        ready, refused = self._scan()
        for path, reason in refused:
            self._quarantine(path, f"{printable(path.name)}: {reason}", run)
        for path in ready:
            shown = printable(path.name)
            try:
                checked = run.parse(path, shown)
            except TranscriptError as exc:
                self._quarantine(path, str(exc), run)
                continue
            except NotAFile as exc:  # swapped for a link or a pipe since the folder was listed
                self._quarantine(path, f"{shown}: {exc.reason}", run)
                continue
            except OSError as exc:
                # Vanished or unreadable (permissions, a share gone away): not the file's fault.
                log.warning(
                    "cannot read %s, will retry: %s", shown, printable(exc.strerror or str(exc))
                )
                continue
            if run.feed(checked, sink):
                run.files += 1
                self._move(path, self.done)
        return run.result()

    def _scan(self) -> tuple[list[Path], list[tuple[Path, str]]]:
        """The settled files to read, oldest first, and the entries refused with the reason."""
        now = self._clock()
        ready: list[tuple[float, str, Path]] = []
        refused: list[tuple[Path, str]] = []
        present: set[str] = set()
        with os.scandir(self.root) as entries:
            for entry in entries:
                name = entry.name
                if is_partial(name):
                    continue  # hidden, an Office lock file, or still being uploaded
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # gone since the listing
                if stat.S_ISDIR(st.st_mode) or (
                    name in ("done", "quarantine") and Path(entry.path).is_dir()
                ):
                    continue  # done/, quarantine/ (which may link elsewhere), other folders
                reason = refusal(st)
                if reason is not None:
                    refused.append((Path(entry.path), reason))
                    continue
                present.add(name)
                if not self._settling.settled(name, st, now):
                    continue
                if st.st_mtime > now:
                    log.warning(
                        "%s is dated %s, in the future (the writer's clock is ahead?); "
                        "ingested now that it has stopped changing",
                        printable(name),
                        datetime.fromtimestamp(st.st_mtime, self.tz).isoformat(timespec="seconds"),
                    )
                ready.append((min(st.st_mtime, now), name, Path(entry.path)))
        self._settling.forget(present)
        # Oldest first, so calls reach the detector roughly in the order they were made.
        return [path for _, _, path in sorted(ready)], refused

    def _quarantine(self, path: Path, reason: str, run: _Run) -> None:
        run.quarantined.append((printable(path.name), reason))
        log.warning("quarantined %s", reason)
        target = self._move(path, self.quarantine, also_free=".reason.txt")
        if target is not None:
            _write_new(target.with_name(target.name + ".reason.txt"), reason + "\n")

    def _move(self, path: Path, folder: Path, also_free: str = "") -> Path | None:
        """Move into ``folder`` without overwriting: a clash gets a timestamp (and a counter)."""
        target = _free_name(folder, path.name, also_free)
        try:
            path.rename(target)
        except OSError as exc:
            # Left in place it is simply seen again next poll; ids keep that harmless.
            log.error(
                "cannot move %s to %s: %s",
                printable(path.name),
                printable(str(folder)),
                printable(exc.strerror or str(exc)),
            )
            return None
        return target


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet; a link planted under its name is not followed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        log.error("cannot write %s: %s", printable(path.name), printable(exc.strerror or str(exc)))
        return
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _free_name(folder: Path, name: str, also_free: str) -> Path:
    def free(p: Path) -> bool:
        # lexists: a dangling link counts as taken, so nothing is ever written through one.
        return not os.path.lexists(p) and not (
            also_free and os.path.lexists(p.with_name(p.name + also_free))
        )

    target = folder / name
    if free(target):
        return target
    stem, suffix = Path(name).stem, Path(name).suffix
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{stem}.{stamp}{suffix}"
    counter = 2
    while not free(target):
        target = folder / f"{stem}.{stamp}-{counter}{suffix}"
        counter += 1
    return target


def ingest_files(
    paths: Iterable[str | Path],
    sink: Sink | BatchSink | StreamSink,
    *,
    source_name: str = "ingest",
    salt: str,
    timezone: str = "Asia/Shanghai",
    limits: TextLimits | None = None,
    layout: CallLayout | None = None,
) -> InboxResult:
    """Ingest the named files once, as the inbox would, but never move them.

    A bad file is reported in ``quarantined`` (file as given, reason) and skipped; the others are
    still ingested. Raises InboxSinkError at the end if the sink raised on any file.
    """
    run = _Run(source_name, salt, ZoneInfo(timezone), limits or TextLimits(), layout)
    for given in paths:
        path = Path(given)
        shown = printable(str(given))
        if path.is_dir():
            run.quarantined.append((shown, f"{shown}: is a folder; name the transcript files"))
            continue
        try:
            checked = run.parse(path, shown, follow=True)
        except TranscriptError as exc:
            run.quarantined.append((shown, str(exc)))
            continue
        except NotAFile as exc:
            run.quarantined.append((shown, f"{shown}: {exc.reason}"))
            continue
        except FileNotFoundError:
            run.quarantined.append((shown, f"{shown}: no such file"))
            continue
        except OSError as exc:
            reason = printable(exc.strerror or str(exc))
            run.quarantined.append((shown, f"{shown}: cannot read: {reason}"))
            continue
        if run.feed(checked, sink):
            run.files += 1
    return run.result()
