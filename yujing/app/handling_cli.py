"""``yujing alert ack | assign | note | resolve ID --by NAME [--why TEXT] [--false-alarm REASON]``:
the handling record.

Each action is kept in the store with its alert's times (first taken up, first dealt with),
written to the audit journal, and queued for the receivers that were told of the alert, all in
one transaction; the running daemon delivers it with its next round. ``yujing alert show ID``
prints the record.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from yujing.alerts import Action, Alert, Handling
from yujing.detector.redact import Redactor, redactor_for
from yujing.notifier.handling import tell_handling
from yujing.printable import printable
from yujing.records import utcnow
from yujing.store import Store

__all__ = ["add_alert_parser", "took"]


def took(start: datetime, end: datetime | None) -> str:
    """A duration as a PR person says it: "12 分钟", "3 小时 5 分钟", "2 天 4 小时"."""
    if end is None:
        return "—"
    minutes = max(0, int((end - start) / timedelta(minutes=1)))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时"
    if hours:
        return f"{hours} 小时 {mins} 分钟"
    return f"{mins} 分钟"


def _alert(store: Store, ref: str) -> Alert | None:
    found = store.alerts.find(ref)
    if len(found) == 1:
        return found[0]
    if not found:
        print(f"error: no alert {ref!r} (yujing status lists the open ones)", file=sys.stderr)
    else:
        ids = ", ".join(a.id for a in found)
        print(f"error: {ref!r} names several alerts ({ids}); give the whole id", file=sys.stderr)
    return None


def cmd_act(args: argparse.Namespace, load: Callable[[str | None], Any]) -> int:
    _, config = load(args.config)
    action = Action(args.alert_command)
    # Names and reasons are user text, as posts are: they reach receivers, the file receiver
    # and the audit journal, so personal numbers are redacted and control characters escaped.
    clean = _user_text(redactor_for(config))
    false_alarm = getattr(args, "false_alarm", None)
    if false_alarm is not None and not false_alarm.strip():
        print("error: say why it was a false alarm (--false-alarm REASON)", file=sys.stderr)
        return 2
    false_alarm = clean(false_alarm) if false_alarm is not None else None
    why = clean(args.why or "")
    if false_alarm is not None:  # what people read: 张三 已处理完毕：误报：…
        why = f"误报：{false_alarm}" + (f"；{why}" if why else "")
    by, to = clean(args.by), clean(getattr(args, "to", "") or "")
    try:  # checked before the store is opened
        draft = Handling(args.id, action, by, utcnow(), why, to)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    store = Store(config.storage.path)
    try:
        alert = _alert(store, args.id)
        if alert is None:
            return 1
        handling = replace(draft, alert_id=alert.id)
        entry = handling.to_dict()
        with store.transaction():
            store.handling.add(handling)
            if false_alarm is not None:
                store.handling.mark_false_alarm(alert.id, false_alarm)
                entry["false_alarm"] = false_alarm
            store.audit.append("handling", alert.id, entry, handling.at)
            receivers = tell_handling(store, handling, alert, false_alarm=false_alarm)
    finally:
        store.close()
    print(f"{handling.line()} · {alert.id}")
    if receivers:
        print(f"通知：{', '.join(receivers)}")
    else:
        print("（还没有接收方收到过这条预警：只记录，不发送）")
    return 0


def _user_text(redactor: Redactor) -> Callable[[str], str]:
    def clean(text: str) -> str:
        return redactor.redact(printable(text, backslash=False))[0]

    return clean


def cmd_show(args: argparse.Namespace, load: Callable[[str | None], Any]) -> int:
    _, config = load(args.config)
    store = Store(config.storage.path)
    try:
        alert = _alert(store, args.id)
        if alert is None:
            return 1
        actions = store.handling.of(alert.id)
        times = store.handling.times(alert.id)
    finally:
        store.close()

    def local(at: datetime) -> str:
        return at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")

    print(f"{alert.id}  {alert.state.value}  since {local(alert.started_at)}")
    for h in actions:  # escaped again: a record written before names were escaped on entry
        print(f"  {local(h.at)}  {printable(h.line(), backslash=False)}")
    if not actions:
        print("  （尚无处理记录）")
    print(f"确认用时：{took(alert.started_at, times.acknowledged_at)}")
    print(f"处理用时：{took(alert.started_at, times.resolved_at)}")
    return 0


def add_alert_parser(
    sub: Any, config_arg: Callable[[argparse.ArgumentParser], None], load: Callable[..., Any]
) -> None:
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
        a.set_defaults(func=lambda args: cmd_act(args, load))
    s = actions.add_parser("show", help="the alert's handling record and times")
    config_arg(s)
    s.add_argument("id", metavar="ID")
    s.set_defaults(func=lambda args: cmd_show(args, load))
