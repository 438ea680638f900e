"""Building yujing's wheel the way a release does, away from the working tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["build_wheel", "copy_tracked"]


def copy_tracked(root: Path, dest: Path, paths: list[str] | None = None) -> Path:
    """Copy the files git tracks under ``root`` (or only under ``paths``) to ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", *(paths or ["."])],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    return dest


def build_wheel(src: Path, out: Path) -> Path:
    """``pip wheel`` of the project in ``src``; setuptools' build/ folder stays in ``src``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("yujing-*.whl")
    return built
