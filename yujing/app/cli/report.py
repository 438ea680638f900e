"""``yujing report daily|weekly``: the 日报 or 周报 of complaints, waves and sources, as HTML
and PDF in a folder."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from yujing.records import utcnow
from yujing.store import Store

from ..reports.charts import NoCjkFont
from ..reports.period import KINDS, last_complete_day
from ..reports.write import write_report
from .common import config_arg, load_or_exit, store_or_exit

__all__ = ["register"]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-12-08") from None


def cmd_report(args: argparse.Namespace) -> int:
    _, config = load_or_exit(args.config)
    day = args.date or last_complete_day(utcnow(), config.tz)
    store = Store(store_or_exit(config), readonly=True)
    try:
        written = write_report(store, config, args.kind, day, args.product, Path(args.out))
    except (ValueError, NoCjkFont) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    r = written.report
    print(
        f"{r.period.name} {r.period.label}: 投诉 {r.complaints.now} 条，{r.people.now} 人，"
        f"预警 {len(r.waves)} 起"
    )
    print(f"HTML: {written.html}")
    print(f"PDF:  {written.pdf}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("report", help="the daily or weekly report, as HTML and PDF")
    p.add_argument("kind", choices=list(KINDS), help="daily (日报) or weekly (周报)")
    config_arg(p)
    p.add_argument(
        "--date",
        type=_day,
        help="the (last) day it covers, YYYY-MM-DD in the config's zone (default: yesterday)",
    )
    p.add_argument("--product", help="one product's id (default: every product)")
    p.add_argument("--out", default="var/reports", help="folder to write to (default: var/reports)")
    p.set_defaults(func=cmd_report)
