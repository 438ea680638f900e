"""Where the shipped config files are: ``./config`` when run from a checkout, else the package's."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["config_dir", "default_config", "invoked_as", "shipped_config_dir"]


def shipped_config_dir() -> Path:
    """The YAML installed with the package (``config/`` of the source tree, as ``yujing.defaults``)."""
    # An installed package is a real folder; as_file gives its path (included files resolve
    # beside it, so the configs must be read from disk, not as resources one by one).
    with as_file(files("yujing.defaults")) as path:
        return Path(path)


def config_dir() -> Path:
    """``$YUJING_CONFIG_DIR``, else ``./config``, else the copy installed with the package."""
    env = os.environ.get("YUJING_CONFIG_DIR")
    if env:
        return Path(env)
    here = Path("config")
    if (here / "yujing.yaml").is_file():
        return here
    return shipped_config_dir()


def default_config() -> Path:
    env = os.environ.get("YUJING_CONFIG")
    return Path(env) if env else config_dir() / "yujing.yaml"


def invoked_as(argv0: str | None = None) -> str:
    """The command that runs yujing again from here, as this process was started.

    Hints printed for people to copy (``yujing status -c ...``) must run as printed: after
    ``.venv/bin/yujing demo`` without an activated venv, a bare ``yujing`` is not found.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    if not argv0 or Path(argv0).name == "__main__.py":  # python -m yujing
        return f"{shlex.quote(sys.executable)} -m yujing"
    found = shutil.which(Path(argv0).name)
    if found and Path(found).resolve() == Path(argv0).resolve():
        return shlex.quote(Path(argv0).name)  # on the PATH: the short name works
    return shlex.quote(argv0)  # as typed: relative to the folder it was started in
