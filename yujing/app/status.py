"""``yujing status``: what ran, what came in, what is firing — in the team's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from yujing.alerts import Alert, AlertState
from yujing.config import Config
from yujing.records import utcnow
from yujing.store import Alerts, Groups, Handlings, Outbox, Posts, Runs, Silences, Store

from .handling_cli import took

__all__ = ["print_status"]

SEVERITY_STYLE = {
    "red": "bold red",
    "orange": "bold dark_orange",
    "yellow": "yellow",
    "blue": "blue",
}


def _local(dt: datetime | None, config: Config) -> str:
    return dt.astimezone(config.tz).strftime("%m-%d %H:%M") if dt else "-"


def print_status(config: Config, console: Console | None = None) -> None:
    console = console or Console()
    if not config.storage.path.exists():
        console.print(
            f"No data yet: {config.storage.path} does not exist (has `yujing run` started?)"
        )
        return
    console.print(f"[dim]store {escape(str(config.storage.path))}[/]")
    store = Store(config.storage.path)
    try:
        _sources(store.runs, config, console)
        _products(store.posts, config, console)
        _alerts(store.alerts, store.handling, config, console)
        _handling(store.handling, config, console)
        _silences(store.silences, config, console)
        _groups(store.groups, config, console)
        _outbox(store.outbox, console)
    finally:
        store.close()


def _sources(history: Runs, config: Config, console: Console) -> None:
    runs = history.latest()
    table = Table(title=f"Sources (times in {config.timezone})")
    table.add_column("source", no_wrap=True)
    for col in ("type", "every", "last run", "items", "new", "errors", "last error"):
        table.add_column(col, no_wrap=col != "last error")
    names = [s.name for s in config.sources] + sorted(set(runs) - {s.name for s in config.sources})
    kinds = {s.name: (s.type, f"{s.interval:g}s") for s in config.sources}
    for name in names:
        run = runs.get(name)
        kind, every = kinds.get(name, ("(removed)", "-"))
        table.add_row(
            escape(name),
            kind,
            every,
            _local(run.finished_at or run.started_at, config) if run else "never",
            str(run.items) if run else "-",
            str(run.accepted) if run else "-",
            f"[red]{run.errors}[/]" if run and run.errors else ("0" if run else "-"),
            escape((run.last_error or "")[:80]) if run else "",
        )
    console.print(table)


def _products(posts: Posts, config: Config, console: Console) -> None:
    now = utcnow()
    day = posts.product_counts(now - timedelta(days=1))
    week = posts.product_counts(now - timedelta(days=7))
    total = posts.product_counts()
    table = Table(title=f"Posts per product ({posts.count()} posts stored)")
    for col in ("product", "name", "24 h", "7 days", "all"):
        table.add_column(col, justify="right" if col[0].isdigit() or col == "all" else "left")
    for p in config.products:
        table.add_row(
            escape(p.id),
            escape(p.name),
            str(day.get(p.id, 0)),
            str(week.get(p.id, 0)),
            str(total.get(p.id, 0)),
        )
    console.print(table)


def _handled(handling: Handlings, alert: Alert) -> str:
    """Who has the alert and how long it took: "李四 负责 · 确认用时 12 分钟"."""
    times = handling.times(alert.id)
    if times.acknowledged_at is None:
        return "[yellow]未确认[/]"
    who = times.assignee or times.acknowledged_by or ""
    text = f"{who} 负责 · 确认用时 {took(alert.started_at, times.acknowledged_at)}"
    if times.resolved_at is not None:
        text += f" · 处理用时 {took(alert.started_at, times.resolved_at)}"
    return escape(text)


def _alerts(alerts: Alerts, handling: Handlings, config: Config, console: Console) -> None:
    firing = alerts.all(AlertState.FIRING)
    table = Table(title=f"Open alerts ({len(firing)})")
    for col in ("severity", "alert", "since", "updated", "posts", "people", "why", "handling"):
        table.add_column(col, overflow="fold" if col == "alert" else "ellipsis")
    for a in firing:
        style = SEVERITY_STYLE.get(a.severity.value, "")
        table.add_row(
            f"[{style}]{a.severity.label} {a.severity.value}[/]",
            escape(a.id),  # what `yujing alert ack ID` takes
            _local(a.started_at, config),
            _local(a.updated_at, config),
            str(a.burst.count) if a.burst else "",
            str(a.burst.complainants) if a.burst else "",
            escape(
                a.reasons[0] if a.reasons else ""
            ),  # the headline; `why` in full is in the alert
            _handled(handling, a),
        )
    console.print(table)


def _handling(handling: Handlings, config: Config, console: Console) -> None:
    recent = handling.recent(10)
    if not recent:
        return
    table = Table(title="Recent handling (yujing alert …)")
    for col in ("when", "alert", "what"):
        table.add_column(col)
    for h in recent:
        table.add_row(_local(h.at, config), escape(h.alert_id), escape(h.line()))
    console.print(table)


def _silences(silences: Silences, config: Config, console: Console) -> None:
    active = silences.active(utcnow())
    if not active:
        return
    table = Table(title=f"Active silences ({len(active)})")
    for col in ("id", "until", "matchers", "by", "why"):
        table.add_column(col)
    for s in active:
        table.add_row(
            s.id,
            _local(s.ends_at, config),
            escape(" ".join(s.matchers)),
            escape(s.author),
            escape(s.comment),
        )
    console.print(table)


def _groups(groups: Groups, config: Config, console: Console) -> None:
    """Alerts waiting in their groups: why a receiver has not heard of a change yet."""
    waiting = groups.waiting()
    if not waiting:
        return
    table = Table(title="Waiting in their groups (group_wait / group_interval)")
    for col in ("receiver", "group", "alerts changed", "next look"):
        table.add_column(col)
    for group, count in waiting:
        table.add_row(
            escape(group.receiver),
            escape(group.key),
            str(count),
            group.next_flush_at.astimezone(config.tz).strftime("%m-%d %H:%M:%S"),
        )
    console.print(table)


def _outbox(outbox: Outbox, console: Console) -> None:
    pending = outbox.pending()
    if not pending:
        return
    table = Table(title="Undelivered alert messages (retried)")
    for col in ("receiver", "pending", "last error"):
        table.add_column(col)
    for receiver, count, error in pending:
        table.add_row(escape(receiver), str(count), escape((error or "")[:100]))
    console.print(table)
