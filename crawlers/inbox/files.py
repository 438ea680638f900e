"""Which entries of the inbox are files to read, and reading one without leaving the inbox.

Anyone who can write to the inbox folder can put more than transcripts there: a symbolic link to
the system's user list, a hard link to its password hashes, a named pipe that blocks the reader
for ever, a device. The inbox reads only regular files that live in it: the entry is looked at
without following links (``lstat``), opened with ``O_NOFOLLOW`` so a link swapped in between is
refused too, and checked again on the open descriptor (``fstat``) before a byte is read. What is
refused is named with the reason, never with anything read from it.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from typing import BinaryIO

__all__ = [
    "IN_PROGRESS_SUFFIXES",
    "NotAFile",
    "Settling",
    "is_partial",
    "open_regular",
    "refusal",
]

# Writers that upload under a temporary name and rename when done; such files are not ours yet,
# and quarantining one would make the writer's final rename fail.
IN_PROGRESS_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart", ".swp")


def is_partial(name: str) -> bool:
    """A name that belongs to a writer still at work, left alone.

    Hidden names (one leading dot: rsync's ``.calls.jsonl.Xy12ab``, an editor's swap file,
    ``.DS_Store``), Office lock files (``~$``) and upload suffixes such as ``.part``. A name
    that starts with two dots is none of these: it is an ordinary, if odd, file name.
    """
    hidden = name.startswith(".") and not name.startswith("..")
    return hidden or name.startswith("~$") or name.lower().endswith(IN_PROGRESS_SUFFIXES)


class NotAFile(OSError):
    """An entry the inbox does not read; ``reason`` says what it is and what to do."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def refusal(st: os.stat_result) -> str | None:
    """Why an entry (its ``lstat``) is not read, or None for a regular file of its own."""
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return (
            "a symbolic link, not a file; the inbox reads only files placed in it, "
            "so copy the file in instead of linking to it"
        )
    if not stat.S_ISREG(mode):
        kind = (
            "a named pipe"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file"
        )
        return f"{kind}; only regular files are read"
    if st.st_nlink > 1:
        # The same file is also somewhere else, perhaps outside the inbox (a hard link to a
        # system file is a way out that no path check sees).
        return (
            f"a hard link ({st.st_nlink} names for one file); "
            "copy the file in instead of linking to it"
        )
    return None


def open_regular(path: str | os.PathLike[str], *, follow: bool = False) -> BinaryIO:
    """The file opened for reading, or ``NotAFile`` when it is not one to read.

    ``follow=False`` (the inbox): only a regular file of its own; a symbolic link is refused
    even if it appears after the folder was listed (O_NOFOLLOW), and O_NONBLOCK keeps a pipe
    swapped in meanwhile from blocking the open. ``follow=True`` (``yujing ingest``, whose files
    the user names): a link is followed, and a pipe is read too (``<(zcat calls.gz)``), but a
    device or a socket is refused.
    """
    check = _refusal_named if follow else refusal
    # Looked at before opening too: opening a device can do things (rewind a tape).
    reason = check(os.stat(path) if follow else os.lstat(path))
    if reason is not None:
        raise NotAFile(reason)
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:  # swapped for a link since the lstat
            raise NotAFile(refusal(os.lstat(path)) or "a symbolic link, not a file") from None
        raise
    stream = os.fdopen(fd, "rb")
    try:
        reason = check(os.fstat(fd))  # swapped for something else since the stat
    except BaseException:
        stream.close()
        raise
    if reason is not None:
        stream.close()
        raise NotAFile(reason)
    return stream


def _refusal_named(st: os.stat_result) -> str | None:
    # Named on the command line: the user chose the file, links and all; a pipe is a stream
    # they mean to give. Only what is no file at all is refused.
    if stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return None
    return refusal(st)


@dataclass
class _Seen:
    signature: tuple[int, int, int]  # inode, size, mtime (ns)
    since: float  # when it was first seen with this signature, by our clock


class Settling:
    """Whether a file has stopped changing, so that it is not read while still being written.

    Normally a file counts as settled when its modification time is ``settle_seconds`` in the
    past. A writer whose clock is ahead of ours (a share mounted from another machine, an
    archive unpacked with its times) leaves a modification time in the future, which would
    never be in the past long enough; such a file counts as settled once it has stayed the same
    (inode, size and time) for ``settle_seconds`` of our own clock.
    """

    def __init__(self, settle_seconds: float):
        self.settle_seconds = settle_seconds
        self._seen: dict[str, _Seen] = {}

    def settled(self, name: str, st: os.stat_result, now: float) -> bool:
        if now - st.st_mtime >= self.settle_seconds:
            self._seen.pop(name, None)
            return True
        if st.st_mtime <= now:
            return False  # written moments ago: wait for the time to pass
        signature = (st.st_ino, st.st_size, st.st_mtime_ns)
        seen = self._seen.get(name)
        if seen is None or seen.signature != signature:
            self._seen[name] = seen = _Seen(signature, now)
        return now - seen.since >= self.settle_seconds

    def forget(self, present: set[str]) -> None:
        """Drop what is known of names no longer in the folder."""
        for name in set(self._seen) - present:
            del self._seen[name]
