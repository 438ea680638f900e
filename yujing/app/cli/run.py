"""``yujing run``: the daemon."""

from __future__ import annotations

import argparse
from typing import Any

from .common import config_arg, load_or_exit, setup

__all__ = ["register"]


def cmd_run(args: argparse.Namespace) -> int:
    path, config = load_or_exit(args.config)
    setup(args.verbose, config, args.log_format)
    # The daemon brings Scrapy, Twisted and every stage: loaded by the command that runs it.
    from ..daemon import Daemon, run_in_reactor

    async def main() -> None:
        daemon = Daemon(path, scrapy_log_level="DEBUG" if args.verbose else "WARNING")
        await daemon.serve()

    run_in_reactor(main)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run the daemon")
    config_arg(p)
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=None,
        help="text: readable lines; json: one JSON object per line (default: the config's "
        "logging.format, else text)",
    )
    p.set_defaults(func=cmd_run)
