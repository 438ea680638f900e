"""``yujing audit verify``: check the audit journal's hash chain; exit 1 where it is broken.

The journal (``yujing.store.audit``) holds every alert event and handling action, each entry
with the hash of the one before. Verifying names each entry that was edited, removed or moved; when all is well it prints the head hash, worth keeping
elsewhere to compare with later.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yujing.store import Store

from .common import config_arg, load_or_exit, store_or_exit

__all__ = ["register"]


def cmd_verify(args: argparse.Namespace) -> int:
    _, config = load_or_exit(args.config)
    store = Store(store_or_exit(config))
    try:
        problems = store.audit.verify()
        entries = store.audit.entries()
        head = store.audit.head()
    finally:
        store.close()
    for p in problems:
        print(f"error: {p.message}", file=sys.stderr)
    if problems:
        print(
            f"audit journal broken: {len(problems)} problem(s) in {len(entries)} entries",
            file=sys.stderr,
        )
        return 1
    if head is None:
        print("audit journal OK: no entries yet")
    else:
        n = len(entries)
        print(
            f"audit journal OK: {n} entr{'y' if n == 1 else 'ies'}, head #{head['seq']} {head['hash']}"
        )
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("audit", help="the journal of alert events and handling actions")
    actions = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    v = actions.add_parser("verify", help="check the hash chain; exit 1 if an entry was changed")
    config_arg(v)
    v.set_defaults(func=cmd_verify)
