"""The call-centre transcript inbox: files dropped in a folder become posts.

A file is ingested whole or not at all. It is parsed completely first; a file of up to
``READ_ONCE_BYTES`` keeps its records from that pass, a larger one is streamed (a pass that keeps
nothing; its posts are read again as they are stored, so memory stays flat whatever its size). A
file with any bad record goes to
``quarantine/`` with a ``NAME.reason.txt`` saying which line and field to fix, and none of
its records reach the sink. A good file moves to ``done/`` only after every record was handed to
the sink, so when the sink fails the file stays put and the next poll retries it. Retrying is safe
because post ids are stable: records already stored come back as duplicates.

Only regular files placed in the inbox are read (``files``); links, pipes and devices are
quarantined with a reason that says what they are, never with what they hold. File names are
shown escaped (``yujing.printable``) wherever they are written: a name with a newline cannot
forge a log line.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from yujing.config import TranscriptSource
from yujing.printable import printable
from yujing.records import utcnow

from .calls import CallLayout
from .encoding import TextLimits
from .files import NotAFile, Settling, is_partial, refusal
from .ingestion import BatchSink, InboxResult, Ingestion, Sink, StreamSink
from .posts import layout_of, limits_of
from .records import TranscriptError

__all__ = ["TranscriptInbox", "ingest_files"]

log = logging.getLogger("yujing.inbox")


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
        run = Ingestion(
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

    def _quarantine(self, path: Path, reason: str, run: Ingestion) -> None:
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
    run = Ingestion(source_name, salt, ZoneInfo(timezone), limits or TextLimits(), layout)
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
