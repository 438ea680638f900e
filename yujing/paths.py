"""Where the shipped config files are: the source tree, or the installed copy."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["config_dir", "default_config"]


def config_dir() -> Path:
    """``$YUJING_CONFIG_DIR``, else ``./config``, else the copy installed with the package."""
    env = os.environ.get("YUJING_CONFIG_DIR")
    if env:
        return Path(env)
    here = Path("config")
    if (here / "yujing.yaml").is_file():
        return here
    tree = Path(__file__).resolve().parent.parent / "config"
    if (tree / "yujing.yaml").is_file():
        return tree
    return Path(sys.prefix) / "share" / "yujing" / "config"


def default_config() -> Path:
    env = os.environ.get("YUJING_CONFIG")
    return Path(env) if env else config_dir() / "yujing.yaml"
