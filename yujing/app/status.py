"""``yujing status``: what ran, what came in, what is firing — in the team's time zone.

Read at 80 columns as often as at 200: the tables have no inner borders, and long texts (a
source's last error, why an alert fires) go under their table or wrap instead of being cut.
Strings that came from outside (errors quoting file names, URLs or what a site answered,
silence comments) are shown escaped (``yujing.printable``) and never read as rich markup.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from yujing.alerts import Alert, AlertState
from yujing.config import Config
from yujing.printable import printable
from yujing.records import utcnow
from yujing.store import (
    Alerts,
    Groups,
    Handlings,
    HandlingTimes,
    Outbox,
    Posts,
    Runs,
    Silences,
    SourceHealthLog,
    Store,
    TimeNotices,
)

__all__ = ["handled", "health", "print_status", "took"]

SEVERITY_STYLE = {
    "red": "bold red",
    "orange": "bold dark_orange",
    "yellow": "yellow",
    "blue": "blue",
}


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


def _local(dt: datetime | None, config: Config) -> str:
    return dt.astimezone(config.tz).strftime("%m-%d %H:%M") if dt else "-"


def _local_after(dt: datetime | None, since: datetime | None, config: Config) -> str:
    """A time after ``since``: its clock alone on the same day, so an alert's row fits a terminal."""
    if dt and since and dt.astimezone(config.tz).date() == since.astimezone(config.tz).date():
        return dt.astimezone(config.tz).strftime("%H:%M")
    return _local(dt, config)


def _shown(text: str | None) -> str:
    """Untrusted text for a table cell: control characters escaped, no markup."""
    return escape(printable(text or "", backslash=False))


def _table(title: str) -> Table:
    # Columns two spaces apart (not the box's three): a status table fits an 80-column terminal.
    return Table(
        title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0), title_justify="left"
    )


def _every(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def health(config: Config, now: datetime | None = None) -> tuple[bool, str]:
    """Whether the daemon on this store is collecting (``yujing status --check``), and why.

    A daemon that died or hangs stops finishing source runs, so the check is that some source
    finished a run within three of its shortest interval (plus a minute for a slow pass).
    Container health checks run it: it reads the store only, like ``status``.
    """
    now = now or utcnow()
    if not config.storage.path.exists():
        return False, f"no store at {config.storage.path} (has `yujing run` started?)"
    intervals = [s.interval for s in config.sources if s.enabled]
    if not intervals:
        return True, "no source is enabled: nothing to collect"
    limit = timedelta(seconds=3 * min(intervals) + 60)
    store = Store(config.storage.path)
    try:
        finished = [r.finished_at for r in store.runs.latest().values() if r.finished_at]
    finally:
        store.close()
    if not finished:
        return False, "no source run has finished yet"
    age = now - max(finished)
    if age > limit:
        return False, (
            f"no source run finished for {age.total_seconds():.0f} s (expected within "
            f"{limit.total_seconds():.0f} s): the daemon is stopped or stuck"
        )
    return True, f"collecting: the last source run finished {age.total_seconds():.0f} s ago"


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
        _sources(store.runs, store.health, config, console)
        _time(store.time_notices, config, console)
        _products(store.posts, config, console)
        _alerts(store.alerts, store.handling, config, console)
        _handling(store.handling, config, console)
        _silences(store.silences, config, console)
        _groups(store.groups, config, console)
        _outbox(store.outbox, console)
    finally:
        store.close()


def _health(name: str, log: dict) -> str:
    """ "ok", or how many runs the source has failed: a broken source must not look quiet
    (since when, and when it last worked, is said below the table)."""
    h = log.get(name)
    if h is None:
        return "-"
    if not h.failing:
        return "[green]ok[/]"
    return f"[red]failing ×{h.failures}[/]"


def _sources(history: Runs, health: SourceHealthLog, config: Config, console: Console) -> None:
    runs = history.latest()
    log = health.all()
    table = _table(f"Sources (times in {config.timezone})")
    table.add_column("source", overflow="fold")
    table.add_column("type", no_wrap=True)
    table.add_column("every", no_wrap=True)
    table.add_column("last run", no_wrap=True)
    for col in ("items", "new", "errors"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("health", no_wrap=True)
    names = [s.name for s in config.sources] + sorted(set(runs) - {s.name for s in config.sources})
    kinds = {s.name: (s.type, _every(s.interval)) for s in config.sources}
    errors: list[tuple[str, str]] = []
    for name in names:
        run = runs.get(name)
        kind, every = kinds.get(name, ("(removed)", "-"))
        table.add_row(
            _shown(name),
            kind,
            every,
            _local(run.finished_at or run.started_at, config) if run else "never",
            str(run.items) if run else "-",
            str(run.accepted) if run else "-",
            f"[red]{run.errors}[/]" if run and run.errors else ("0" if run else "-"),
            _health(name, log),
        )
        if run and run.last_error:
            errors.append((name, run.last_error))
        h = log.get(name)
        if h is not None and h.failing:
            since = _local(h.failing_since, config)
            ok = _local(h.last_success_at, config) if h.last_success_at else "never"
            errors.append((name, f"failing since {since}; last worked {ok}"))
    console.print(table)
    # Errors are long (a URL and what the site said): below the table, wrapped, not cut.
    for name, error in errors:
        console.print(f"  [red]{_shown(name)}[/]: {_shown(error[:300])}")
    if errors:
        console.print()


def _time(notices: TimeNotices, config: Config, console: Console) -> None:
    """What time did to the posts: sources whose times seem read in the wrong zone, and waves
    that came after their window and were learned as history, not alerted (the last five)."""
    zones = notices.zones()
    late = notices.late(5)
    if not zones and not late:
        return
    console.print("[bold]Time[/]")
    for z in zones:
        console.print(f"  [yellow]{_shown(z.message)}[/]")
    for w in late:
        start, end = w.first_at.astimezone(config.tz), w.last_at.astimezone(config.tz)
        console.print(
            f"  [yellow]{_shown(w.product)}: {w.posts} complaints from "
            f"{start:%m-%d %H:%M}-{end:%H:%M} arrived after their window and were learned as "
            f"history, not alerted[/] (learned {_local(w.learned_at, config)})"
        )
    console.print()


def _products(posts: Posts, config: Config, console: Console) -> None:
    now = utcnow()
    day = posts.product_counts(now - timedelta(days=1))
    week = posts.product_counts(now - timedelta(days=7))
    total = posts.product_counts()
    table = _table(f"Posts per product ({posts.count()} posts stored)")
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


def handled(times: HandlingTimes, started: datetime) -> str | None:
    """Who has an alert that began at ``started`` and how long it took: "李四 负责 · 确认用时 12
    分钟"; None while nobody has taken it up."""
    if times.acknowledged_at is None:
        return None
    who = times.assignee or times.acknowledged_by or ""
    text = f"{who} 负责 · 确认用时 {took(started, times.acknowledged_at)}"
    if times.resolved_at is not None:
        text += f" · 处理用时 {took(started, times.resolved_at)}"
    return text


def _handled(handling: Handlings, alert: Alert) -> str:
    text = handled(handling.times(alert.id), alert.started_at)
    return "[yellow]未确认[/]" if text is None else _shown(text)


def _alerts(alerts: Alerts, handling: Handlings, config: Config, console: Console) -> None:
    firing = alerts.all(AlertState.FIRING)
    table = _table(f"Open alerts ({len(firing)})")
    table.add_column("severity", no_wrap=True)
    table.add_column("alert", overflow="fold")  # whole under the table, where it is copied from
    for col in ("since", "updated"):
        table.add_column(col, no_wrap=True)
    for col in ("posts", "people"):
        table.add_column(col, no_wrap=True, justify="right")
    notes: list[tuple[str, str]] = []
    for a in firing:
        style = SEVERITY_STYLE.get(a.severity.value, "")
        table.add_row(
            f"[{style}]{a.severity.label} {a.severity.value}[/]",
            _shown(a.id),
            _local(a.started_at, config),
            _local_after(a.updated_at, a.started_at, config),
            str(a.burst.count) if a.burst else "",
            str(a.burst.complainants) if a.burst else "",
        )
        subject = a.product or f"source {a.labels.get('source', '')}"
        why = a.reasons[0] if a.reasons else ""  # the headline; all of it is in the alert
        notes.append((subject, f"{_shown(why)} · {_handled(handling, a)}", a.id))
    console.print(table)
    # Why each fires and who has it are sentences: under the table, wrapped, not squeezed;
    # the id whole on a line of its own, as it is copied into a command.
    for subject, note, alert_id in notes:
        console.print(f"  [bold]{_shown(subject)}[/]: {note}")
        console.print(
            f"    yujing alert ack {escape(_shown(alert_id))}", soft_wrap=True, highlight=False
        )
    if notes:
        console.print()


def _handling(handling: Handlings, config: Config, console: Console) -> None:
    recent = handling.recent(10)
    if not recent:
        return
    table = _table("Recent handling (yujing alert …)")
    table.add_column("when", no_wrap=True)
    table.add_column("alert", overflow="fold")
    table.add_column("what", overflow="fold")
    for h in recent:
        table.add_row(_local(h.at, config), _shown(h.alert_id), _shown(h.line()))
    console.print(table)


def _silences(silences: Silences, config: Config, console: Console) -> None:
    active = silences.active(utcnow())
    if not active:
        return
    table = _table(f"Active silences ({len(active)})")
    for col in ("id", "until"):
        table.add_column(col, no_wrap=True)
    for col in ("matchers", "by", "why"):
        table.add_column(col, overflow="fold")
    for s in active:
        table.add_row(
            _shown(s.id),
            _local(s.ends_at, config),
            _shown(" ".join(s.matchers)),
            _shown(s.author),
            _shown(s.comment),
        )
    console.print(table)


def _groups(groups: Groups, config: Config, console: Console) -> None:
    """Alerts waiting in their groups: why a receiver has not heard of a change yet."""
    waiting = groups.waiting()
    if not waiting:
        return
    table = _table("Waiting in their groups (group_wait / group_interval)")
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
    table = _table("Undelivered alert messages (retried)")
    table.add_column("receiver", no_wrap=True)
    table.add_column("pending", justify="right", no_wrap=True)
    table.add_column("last error", overflow="fold")
    for receiver, count, error in pending:
        table.add_row(_shown(receiver), str(count), _shown((error or "")[:200]))
    console.print(table)
