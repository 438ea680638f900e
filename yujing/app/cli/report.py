"""``yujing report daily|weekly``: the 日报 or 周报 of complaints, waves and sources, and
``yujing report wave ALERT_ID``: one wave's 专报; each as HTML and PDF in a folder."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from yujing.config import Config
from yujing.records import utcnow
from yujing.store import Store

from ..reports.charts import NoCjkFont
from ..reports.period import KINDS, last_complete_day
from ..reports.write import write_report, write_wave_report
from .common import config_arg, load_or_exit, store_or_exit

__all__ = ["register"]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-12-08") from None


def _written(args: argparse.Namespace, make: Callable[[Store, Config], Any]) -> Any:
    """What ``make`` wrote from the store (only read), or None after saying why it could not."""
    _, config = load_or_exit(args.config)
    store = Store(store_or_exit(config), readonly=True)
    try:
        return make(store, config)
    except (ValueError, NoCjkFont) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    finally:
        store.close()


def _paths(written: Any) -> None:
    print(f"HTML: {written.html}")
    print(f"PDF:  {written.pdf}")


def cmd_period(args: argparse.Namespace) -> int:
    def make(store: Store, config: Config) -> Any:
        day = args.date or last_complete_day(utcnow(), config.tz)
        return write_report(store, config, args.kind, day, args.product, Path(args.out))

    written = _written(args, make)
    if written is None:
        return 1
    r = written.report
    print(
        f"{r.period.name} {r.period.label}: 投诉 {r.complaints.now} 条，{r.people.now} 人，"
        f"预警 {len(r.waves)} 起"
    )
    _paths(written)
    return 0


def cmd_wave(args: argparse.Namespace) -> int:
    written = _written(
        args, lambda store, config: write_wave_report(store, config, args.alert, Path(args.out))
    )
    if written is None:
        return 1
    w = written.report
    print(f"专报 {w.alert.id}: 投诉 {w.posts} 条，{w.people} 人，{len(w.per_channel)} 个渠道")
    _paths(written)
    return 0


def _out(p: argparse.ArgumentParser) -> None:
    config_arg(p)
    p.add_argument("--out", default="var/reports", help="folder to write to (default: var/reports)")


def register(sub: Any) -> None:
    p = sub.add_parser("report", help="the daily or weekly report, or one wave's, as HTML and PDF")
    kinds = p.add_subparsers(dest="report_kind", required=True, metavar="KIND")
    for kind, (days, name) in KINDS.items():
        k = kinds.add_parser(kind, help=f"{name}: the {days} day(s) ending with --date")
        _out(k)
        k.add_argument(
            "--date",
            type=_day,
            help="the (last) day it covers, YYYY-MM-DD in the config's zone (default: yesterday)",
        )
        k.add_argument("--product", help="one product's id (default: every product)")
        k.set_defaults(func=cmd_period, kind=kind)
    w = kinds.add_parser("wave", help="专报: one wave's story, from its alert")
    w.add_argument("alert", metavar="ALERT_ID", help="its id, series key or the start of its id")
    _out(w)
    w.set_defaults(func=cmd_wave)
