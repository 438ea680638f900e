"""``yujing route test LABEL=VALUE...``: which receivers an alert would reach (amtool config routes test)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yujing.config.labels import matcher_problem
from yujing.notifier.route import match_receivers, match_routes

from .common import config_arg, load_or_exit

__all__ = ["register"]


def cmd_route_test(args: argparse.Namespace) -> int:
    """Which receivers an alert with these labels reaches (amtool config routes test)."""
    _, config = load_or_exit(args.config)
    labels: dict[str, str] = {}
    for pair in args.labels:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            print(f"error: {pair!r}: give labels as name=value, e.g. severity=red", file=sys.stderr)
            return 2
        problem = matcher_problem(f"{name}={value}", config)
        if problem:  # answered all the same: a typo must not pass for "no route matches"
            print(f"warning: {pair}: {problem}", file=sys.stderr)
        labels[name] = value
    if not args.grouping:
        receivers = match_receivers(config.notify.route, labels)
        print(", ".join(receivers) if receivers else "(no receiver)")
        return 0
    matched = match_routes(config.notify.route, labels)
    if not matched:
        print("(no receiver)")
    for opts in matched:
        by = "..." if opts.group_by is None else ", ".join(opts.group_by)
        print(
            f"{opts.receiver}: group_by [{by}], group_wait {opts.group_wait:g}s, "
            f"group_interval {opts.group_interval:g}s, repeat_interval {opts.repeat_interval:g}s"
        )
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("route", help="which receivers an alert would reach")
    route = p.add_subparsers(dest="route_command", required=True, metavar="ACTION")
    t = route.add_parser("test", help="print the receivers for alert labels, e.g. severity=red")
    config_arg(t)
    t.add_argument("labels", nargs="+", metavar="LABEL=VALUE")
    t.add_argument(
        "--grouping", action="store_true", help="also how each receiver groups and times them"
    )
    t.set_defaults(func=cmd_route_test)
