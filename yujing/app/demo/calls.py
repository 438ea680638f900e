"""The demo's hotline: each call written to the inbox folder as a call-centre export would be.

Apart from the world because it is the one part that writes files. A file appears whole (written
under a hidden name, then renamed) and dated with the call, as the daemon's inbox expects.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from random import Random

from . import content, render
from .posts import DemoPost

__all__ = ["atomic_write", "write_call"]


def write_call(inbox: Path, seed: int, post: DemoPost) -> None:
    """Drop one call into ``inbox``: JSON lines in UTF-8 or plain text in GBK, by its number."""
    rng = Random(f"{seed}-call-{post.seq}")
    when = datetime.fromtimestamp(post.published, render.TZ)
    stem = f"call-{when:%Y%m%d-%H%M%S}-{post.seq:04d}"
    agent = content.agent_name(rng)
    # A mix of what call-centre exports look like: JSON lines in UTF-8, plain text in GBK.
    if post.seq % 2:
        record = {
            "id": f"C{when:%Y%m%d}{post.seq:05d}",
            "caller": post.author,
            "time": when.isoformat(timespec="seconds"),
            "agent": agent,
            "text": post.text,
        }
        name, data = f"{stem}.jsonl", (json.dumps(record, ensure_ascii=False) + "\n").encode()
    else:
        # A .txt export is the dialogue alone; readers take the call's time from the mtime.
        name, data = f"{stem}.txt", (post.text + "\n").encode("gbk")
    atomic_write(inbox / name, data, post.published)


def atomic_write(path: Path, data: bytes, mtime: float) -> None:
    """Write under a hidden name, then rename: the inbox never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    # The file's age is the call's age, for readers that go by modification time.
    os.utime(tmp, (mtime, mtime))
    os.replace(tmp, path)
