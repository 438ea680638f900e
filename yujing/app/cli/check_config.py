"""``yujing check-config``: validate a config file, every problem with its file, line and field."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from yujing.config import ConfigError, load_config

from ..amapi.guard import api_exposure
from ..console.guard import console_exposure
from ..paths import default_config

__all__ = ["register"]


def cmd_check_config(args: argparse.Namespace) -> int:
    path = Path(args.path or default_config())
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(f"{path}: invalid configuration", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    counts = {
        "source": len(config.sources),
        "product": len(config.products),
        "receiver": len(config.notify.receivers),
    }
    summary = ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for word, n in counts.items())
    print(f"{path}: OK — {summary}")
    exposed = api_exposure(config)
    if exposed is not None:
        print(f"http.listen: {exposed}")
        print(f"http.listen: {console_exposure(config)}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("check-config", help="validate a config file; exit 1 if invalid")
    p.add_argument("path", nargs="?", help="config file (default: config/yujing.yaml)")
    p.set_defaults(func=cmd_check_config)
