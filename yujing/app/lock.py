"""One daemon per store: a second one on the same SQLite file would fire and send every wave twice.

The lock is an advisory ``flock`` on ``<store>.lock`` beside the database, held for the daemon's
life. The kernel drops it when the process ends, however it ends (kill -9 included), so a crash
never leaves a stale lock behind. ``yujing ingest`` and ``status`` take no lock: they only add
posts or read, which SQLite's own locking keeps safe beside a running daemon.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["StoreLock", "StoreLocked"]


class StoreLocked(RuntimeError):
    def __init__(self, store: Path, holder: str):
        self.store, self.holder = store, holder
        who = f" (process {holder})" if holder else ""
        super().__init__(
            f"{store}: another yujing daemon is already running on this store{who}. "
            "Stop it first, or give this one its own storage.path; two daemons on one store "
            "would send every alert twice."
        )


class StoreLock:
    def __init__(self, store: Path):
        self.store = store
        self.path = Path(f"{store}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise ``StoreLocked`` naming the process that holds it."""
        if str(self.store) == ":memory:":
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise StoreLocked(self.store, holder) from None
        # Who holds it, for the message the next one prints; the lock itself is the flock.
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
