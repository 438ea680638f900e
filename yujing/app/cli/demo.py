"""``yujing demo``: the daemon against a simulated world on 127.0.0.1."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import setup

__all__ = ["register"]


def cmd_demo(args: argparse.Namespace) -> int:
    setup(args.verbose)
    # The demo brings the whole daemon: loaded by the command that runs it.
    from ..demo.runner import run_demo

    return run_demo(
        once=args.once, deadline=args.deadline, workdir=args.dir, config_path=args.config
    )


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the daemon against a simulated world on 127.0.0.1")
    p.add_argument(
        "--once",
        action="store_true",
        help="exit 0 once the wave is over and its alert has fired",
    )
    p.add_argument("--deadline", type=float, default=120.0, help="seconds to wait with --once")
    p.add_argument("--dir", type=Path, default=None, help="working folder (default: a temp folder)")
    p.add_argument("-c", "--config", type=Path, default=None, help="default: the shipped demo.yaml")
    p.set_defaults(func=cmd_demo)
