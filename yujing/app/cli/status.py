"""``yujing status``: sources, post counts, open alerts and their handling."""

from __future__ import annotations

import argparse
from typing import Any

from ..status import health, print_status
from .common import config_arg, load_or_exit

__all__ = ["register"]


def cmd_status(args: argparse.Namespace) -> int:
    _, config = load_or_exit(args.config)
    if args.check:
        ok, why = health(config)
        print(f"{'ok' if ok else 'unhealthy'}: {why}")
        return 0 if ok else 1
    print_status(config)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("status", help="sources, post counts, open alerts")
    config_arg(p)
    p.add_argument(
        "--check",
        action="store_true",
        help="one line, exit 1 unless a source run finished lately (for health checks)",
    )
    p.set_defaults(func=cmd_status)
