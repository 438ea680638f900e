"""The call-centre transcript inbox: files dropped in a folder become posts.

A file is ingested whole or not at all. It is parsed completely first; a file with any bad record
goes to ``quarantine/`` with a ``NAME.reason.txt`` saying which line and field to fix, and none of
its records reach the sink. A good file moves to ``done/`` only after every record was handed to
the sink, so when the sink fails the file stays put and the next poll retries it. Retrying is safe
because post ids are stable: records already stored come back as duplicates.

Only regular files placed in the inbox are read (``inbox_files``); links, pipes and devices are
quarantined with a reason that says what they are. File names are shown escaped
(``yujing.printable``) wherever they are written: a name with a newline cannot forge a log line.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from yujing.config import TranscriptSource
from yujing.printable import printable
from yujing.records import Post, hash_author, post_id, utcnow

from .inbox_files import NotAFile, Settling, is_partial, read_regular, refusal
from .inbox_formats import (
    Transcript,
    TranscriptError,
    check_suffix,
    normalise_caller,
    parse_transcripts,
)

__all__ = [
    "InboxResult",
    "InboxSinkError",
    "TranscriptError",
    "TranscriptInbox",
    "ingest_files",
    "to_post",
]

log = logging.getLogger("yujing.inbox")

Sink = Callable[[Post], bool]


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
    url = f"transcript://{quote(source)}/{quote(file)}" + (f"#{t.line}" if t.line else "")
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
            "file": printable(file),
            "line": t.line,
            "channel": "hotline",
        },
    )


class _Run:
    """Counts for one poll or one ``ingest`` command, and the shared read-parse-sink step."""

    def __init__(self, source: str, salt: str, tz: ZoneInfo):
        self.source = source
        self.salt = salt
        self.tz = tz
        self.files = 0
        self.posts = 0
        self.accepted = 0
        self.quarantined: list[tuple[str, str]] = []
        self.failed: list[tuple[str, Exception]] = []

    def parse(self, path: Path, shown: str, *, follow: bool = False) -> list[Post]:
        """Read and parse the whole file; raises TranscriptError, NotAFile or OSError.

        ``follow``: whether a symbolic link is followed (only for files a user names)."""
        check_suffix(path.name, shown)  # before reading: the wrong file may be large
        data, st = read_regular(path, follow=follow)
        # Calls without a time of their own are dated by the file; a file dated in the future
        # (a writer's clock ahead of ours) dates them now, not in a window still to come.
        mtime = datetime.fromtimestamp(min(st.st_mtime, time.time()), UTC)
        records = parse_transcripts(path.name, data, mtime, self.tz, shown_as=shown)
        return [to_post(r, source=self.source, file=path.name, salt=self.salt) for r in records]

    def feed(self, shown: str, posts: list[Post], sink: Sink) -> bool:
        """Hand every post to the sink; False (and noted) when the sink raised."""
        try:
            for post in posts:
                self.posts += 1
                if sink(post):
                    self.accepted += 1
        except Exception as exc:
            log.exception("storing transcripts from %s failed; the file is kept for retry", shown)
            self.failed.append((shown, exc))
            return False
        return True

    def result(self) -> InboxResult:
        result = InboxResult(self.files, self.posts, self.accepted, list(self.quarantined))
        if self.failed:
            raise InboxSinkError(result, self.failed) from self.failed[0][1]
        return result


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
        self.tz = ZoneInfo(timezone)
        # A file modified this recently may still be being copied in.
        self.settle_seconds = settle_seconds
        self._settling = Settling(settle_seconds)
        self._clock = clock
        self.root = Path(source.path)
        self.done = self.root / "done"
        self.quarantine = self.root / "quarantine"

    def process(self, sink: Sink) -> InboxResult:
        """Ingest every settled file. Raises InboxSinkError (after the rest) if the sink raised."""
        for folder in (self.root, self.done, self.quarantine):
            folder.mkdir(parents=True, exist_ok=True)
        run = _Run(self.source.name, self.salt, self.tz)
        ready, refused = self._scan()
        for path, reason in refused:
            self._quarantine(path, f"{printable(path.name)}: {reason}", run)
        for path in ready:
            shown = printable(path.name)
            try:
                posts = run.parse(path, shown)
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
            if run.feed(shown, posts, sink):
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
    sink: Sink,
    *,
    source_name: str = "ingest",
    salt: str,
    timezone: str = "Asia/Shanghai",
) -> InboxResult:
    """Ingest the named files once, as the inbox would, but never move them.

    A bad file is reported in ``quarantined`` (file as given, reason) and skipped; the others are
    still ingested. Raises InboxSinkError at the end if the sink raised on any file.
    """
    run = _Run(source_name, salt, ZoneInfo(timezone))
    for given in paths:
        path = Path(given)
        shown = printable(str(given))
        if path.is_dir():
            run.quarantined.append((shown, f"{shown}: is a folder; name the transcript files"))
            continue
        try:
            posts = run.parse(path, shown, follow=True)
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
        if run.feed(shown, posts, sink):
            run.files += 1
    return run.result()
