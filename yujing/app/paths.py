"""Where the shipped config files are: ``./config`` when run from a checkout, else the package's."""

from __future__ import annotations

import os
from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["config_dir", "default_config", "shipped_config_dir"]


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
