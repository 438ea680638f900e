"""``yujing silence add | list | expire``: mute alerts for a while, as amtool silence does.

Silences live in the store, so the running daemon honours one the moment it is added, and a
restart keeps it. Every matcher is checked against the labels alerts carry before it is kept:
a typo would silence nothing and nobody would notice.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from yujing.records import utcnow
from yujing.store import Store

from .. import ops
from .common import config_arg, load_or_exit

__all__ = ["register"]


def _local(config: Any, at: Any) -> str:
    return at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")


def cmd_add(args: argparse.Namespace) -> int:
    _, config = load_or_exit(args.config)
    store = Store(config.storage.path)
    try:
        silence = ops.add_silence(
            store,
            config,
            list(args.matchers),
            duration=args.duration,
            author=args.author,
            comment=args.comment,
        )
    except ops.OpsError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return exc.code
    finally:
        store.close()
    print(f"{silence.id}  until {_local(config, silence.ends_at)}  {' '.join(silence.matchers)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    _, config = load_or_exit(args.config)
    store = Store(config.storage.path)
    try:
        found = store.silences.all() if args.all else store.silences.active(utcnow())
    finally:
        store.close()
    if not found:
        print("no silences" if args.all else "no active silences")
    for s in found:
        print(
            f"{s.id}  {_local(config, s.starts_at)} – {_local(config, s.ends_at)}  "
            f"{' '.join(s.matchers)}  by {s.author}: {s.comment}"
        )
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    _, config = load_or_exit(args.config)
    store = Store(config.storage.path)
    try:
        ops.expire_silence(store, args.id)
    except ops.OpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    finally:
        store.close()
    print(f"{args.id} expired")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("silence", help="mute alerts matching labels for a while")
    actions = p.add_subparsers(dest="silence_command", required=True, metavar="ACTION")

    a = actions.add_parser("add", help="add a silence: MATCHER... --comment WHY")
    config_arg(a)
    a.add_argument("matchers", nargs="+", metavar="MATCHER", help="e.g. product=anxin-e")
    a.add_argument("--duration", default="2h", help="how long, e.g. 30m, 2h, 1d (default 2h)")
    a.add_argument("--comment", required=True, help="why (kept with the silence)")
    a.add_argument("--author", default=getpass.getuser(), help="who (default: your login)")
    a.set_defaults(func=cmd_add)

    ls = actions.add_parser("list", help="the active silences (--all: every one kept)")
    config_arg(ls)
    ls.add_argument("--all", action="store_true")
    ls.set_defaults(func=cmd_list)

    e = actions.add_parser("expire", help="end a silence now")
    config_arg(e)
    e.add_argument("id")
    e.set_defaults(func=cmd_expire)
