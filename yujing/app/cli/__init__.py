"""The ``yujing`` command, one module per command: run | check-config | ingest | status | demo |
replay | route | silence | alert | audit | report | sentiment | kibana.

Each module has ``register(subparsers)``, adding its command and the function that runs it; the
work is done below (``yujing.app.ops`` for what people do to alerts and files, the stages for the
rest), and the command parses, calls and prints. A new command is a module here and a line in
``COMMANDS``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

from yujing.store import SchemaTooNew, StoreUnusable, why_unusable

from ..lock import StoreLocked
from . import (
    alert,
    audit,
    check_config,
    demo,
    ingest,
    kibana,
    replay,
    report,
    route,
    run,
    sentiment,
    silence,
    status,
)

__all__ = ["main", "build_parser", "COMMANDS"]

# In the order ``yujing --help`` lists them.
COMMANDS = (
    run,
    check_config,
    ingest,
    status,
    sentiment,
    replay,
    route,
    silence,
    alert,
    audit,
    report,
    kibana,
    demo,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yujing", description="Early warning of group complaints against insurance products."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"yujing {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    _verbose_after_commands(parser)
    return parser


def _verbose_after_commands(parser: argparse.ArgumentParser) -> None:
    """``yujing status -v`` as well as ``yujing -v status``: people add it at the end.

    SUPPRESS as the default keeps a sub-command from resetting a -v given before it.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                if "-v" not in command._option_string_actions:
                    command.add_argument(
                        "-v",
                        "--verbose",
                        action="store_true",
                        default=argparse.SUPPRESS,
                        help="debug logging",
                    )
                _verbose_after_commands(command)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("yujing")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from yujing import __version__

        return __version__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `yujing replay ... | head`: the reader has what it wanted; no traceback for that.
        sys.stderr.close()
        return 0
    except (SchemaTooNew, StoreLocked, StoreUnusable) as exc:
        # A file from a newer yujing, a store another daemon holds, one that is not SQLite or
        # cannot be written: say what to do instead of a traceback.
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:  # while working: a full disk, a file gone read-only
        print(f"error: the store {why_unusable(exc)}", file=sys.stderr)
        return 1
