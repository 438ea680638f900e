"""``yujing alert ack | assign | note | resolve ID --by NAME [--why TEXT] [--false-alarm REASON]``:
the handling record.

The work is ``ops.handle`` (kept in the store with its alert's times, written to the audit
journal, queued for the receivers that were told of the alert, in one transaction; the running
daemon delivers it with its next round); this module parses and prints. ``yujing alert show ID``
prints the record.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from yujing.alerts import Action
from yujing.printable import printable
from yujing.store import Store

from .. import ops
from ..status import took
from .common import config_arg, load_or_exit

__all__ = ["register"]


def cmd_act(args: argparse.Namespace) -> int:
    _, config = load_or_exit(args.config)
    store = Store(config.storage.path)
    try:
        done = ops.handle(
            store,
            config,
            args.id,
            Action(args.alert_command),
            by=args.by,
            why=args.why or "",
            to=getattr(args, "to", "") or "",
            false_alarm=getattr(args, "false_alarm", None),
        )
    except ops.OpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    finally:
        store.close()
    print(f"{done.handling.line()} · {done.alert.id}")
    if done.receivers:
        print(f"通知：{', '.join(done.receivers)}")
    else:
        print("（还没有接收方收到过这条预警：只记录，不发送）")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    _, config = load_or_exit(args.config)
    store = Store(config.storage.path)
    try:
        record = ops.record_of(store, args.id)
    except ops.OpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    finally:
        store.close()

    def local(at: datetime) -> str:
        return at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")

    alert = record.alert
    print(f"{alert.id}  {alert.state.value}  since {local(alert.started_at)}")
    for h in record.actions:  # escaped again: a record written before names were escaped
        print(f"  {local(h.at)}  {printable(h.line(), backslash=False)}")
    if not record.actions:
        print("  （尚无处理记录）")
    print(f"确认用时：{took(alert.started_at, record.times.acknowledged_at)}")
    print(f"处理用时：{took(alert.started_at, record.times.resolved_at)}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("alert", help="record who handles an alert: ack, assign, note, resolve")
    actions = p.add_subparsers(dest="alert_command", required=True, metavar="ACTION")
    helps = {
        Action.ACK: "acknowledge: someone is on it",
        Action.ASSIGN: "hand the alert to someone (--to NAME)",
        Action.NOTE: "add a remark to the record (--why TEXT)",
        Action.RESOLVE: "the team has dealt with it",
    }
    for action, text in helps.items():
        a = actions.add_parser(action.value, help=text)
        config_arg(a)
        a.add_argument(
            "id", metavar="ID", help="the alert's id, its series key or the start of its id"
        )
        a.add_argument("--by", required=True, metavar="NAME", help="who")
        a.add_argument(
            "--why", required=action is Action.NOTE, metavar="TEXT", help="why, or the note"
        )
        if action is Action.ASSIGN:
            a.add_argument("--to", required=True, metavar="NAME", help="who takes it")
        if action is Action.RESOLVE:
            a.add_argument(
                "--false-alarm",
                metavar="REASON",
                help="it was a false alarm, and why: `yujing replay --store` counts such alerts "
                "a changed config would still raise",
            )
        a.set_defaults(func=cmd_act)
    s = actions.add_parser("show", help="the alert's handling record and times")
    config_arg(s)
    s.add_argument("id", metavar="ID")
    s.set_defaults(func=cmd_show)
