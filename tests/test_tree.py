"""The tree as committed: no file keeps the markers of a merge left half done."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(rb"^(<{7} |>{7} |\|{7} )", re.MULTILINE)


def test_no_tracked_file_holds_merge_conflict_markers() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    files = [ROOT / name.decode() for name in listed if name]
    assert len(files) > 100, "the tree's files are listed"
    marked = [
        str(f.relative_to(ROOT))
        for f in files
        if f.is_file()
        and f.suffix in {".md", ".py", ".yaml", ".toml", ".j2", ".cfg", ".txt"}
        and MARKER.search(f.read_bytes())
    ]
    assert marked == []
