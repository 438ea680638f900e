"""``yujing demo``: the real daemon, the shipped demo config, a simulated world on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from yujing.alerts import AlertEvent, EventKind
from yujing.config import Config
from yujing.notifier.render import alert_text, alert_view

from ..components.http import HttpServer
from ..daemon import Daemon, SourceReport, run_in_reactor
from ..paths import config_dir, invoked_as
from .world import DemoWorld

__all__ = ["run_demo", "DemoOutcome", "demo_session"]

SETTLE = 8.0  # seconds after the wave's last post for it to be collected and judged
SEVERITY_STYLE = {"red": "red", "orange": "dark_orange", "yellow": "yellow", "blue": "blue"}


@dataclass
class DemoOutcome:
    alerts: list[AlertEvent] = field(default_factory=list)
    wave_product: str = ""
    wave_fired: bool = False
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def _alert_panel(event: AlertEvent, config: Config) -> Panel:
    """The message a chat receiver gets, as a panel: the demo shows what the team would read."""
    names = {p.id: p.name for p in config.products}
    view = alert_view(event, tz=config.tz, names=names)
    text = alert_text(view)
    body = text.split("\n", 1)[1] if "\n" in text else ""
    colour = SEVERITY_STYLE.get(event.alert.severity.value, "white")
    return Panel(escape(body), title=f"[bold {colour}]{escape(view.title)}[/]", border_style=colour)


async def demo_session(
    workdir: Path,
    *,
    once: bool,
    deadline: float,
    console: Console,
    config_path: Path | None = None,
    world_options: dict | None = None,
    prepare_daemon=None,
) -> DemoOutcome:
    """Start the world, run the daemon on it; with ``once``, stop after the wave's alert."""
    world = DemoWorld(workdir, **(world_options or {}))
    world.start()
    os.environ["YUJING_DEMO_URL"] = world.url
    os.environ["YUJING_DEMO_DIR"] = str(workdir)
    outcome = DemoOutcome(wave_product=world.wave_product)
    done = asyncio.Event()
    products_firing: set[str] = set()
    sources_shown: set[str] = set()

    def on_alert(event: AlertEvent) -> None:
        outcome.alerts.append(event)
        product = event.alert.product
        firing = event.event is EventKind.FIRING
        category = event.alert.category
        if category is not None and product in products_firing:
            # The default inhibit rule keeps a category's alert out of the chat while its
            # whole product's alert is firing: the team reads the product's message, which
            # names the category among its main problems. Said in a line, not as a message.
            if firing:
                names = {c.id: c.name for c in daemon.config.categories}
                console.print(
                    f"[dim]{clock()}[/] [dim]{escape(product)} 的预警中："
                    f"{escape(names.get(category, category))}类投诉也在上升（不另行发送）[/]"
                )
            return
        if category is None:
            if firing:
                products_firing.add(product)
            elif event.event is EventKind.RESOLVED:
                products_firing.discard(product)
        # Events come on material changes only (first firing, a higher severity, a doubled
        # count, resolution), so each gets the full message the team would read.
        console.print(_alert_panel(event, daemon.config))
        if firing and product != world.wave_product:
            outcome.reason = f"{product} 没有投诉潮，却发出了预警（误报）"
            done.set()
        if firing and product == world.wave_product:
            outcome.wave_fired = True

    def clock() -> str:
        return datetime.now(daemon.config.tz).strftime("%H:%M:%S")  # the team's time zone

    def on_source(report: SourceReport) -> None:
        # A run that brought nothing new is not news once the source has shown it works: every
        # few seconds a line of zeros would bury the alerts.
        if not (report.accepted or report.last_error) and report.source in sources_shown:
            return
        sources_shown.add(report.source)
        line = (
            f"[dim]{clock()}[/] {escape(report.source):<13} "
            f"收到 {report.items:>4} 条，新增 {report.accepted:>4} 条"
        )
        if report.last_error:
            line += f"  [red]{escape(report.last_error)}[/]"
        console.print(line)

    config_path = config_path or config_dir() / "demo.yaml"
    console.print(
        f"[bold]yujing 演示[/]：模拟的论坛、订阅源和热线收件箱在 {world.url}；"
        f"数据在 {workdir}；稍后 [bold]{world.wave_product}[/] 会出现一波投诉。"
    )
    daemon = Daemon(config_path, on_alert=on_alert, on_source=on_source)
    if prepare_daemon is not None:
        prepare_daemon(daemon)

    async def watchdog() -> None:
        start = time.monotonic()
        shown = None
        wave_over: float | None = None
        port_told = False
        while not done.is_set():
            await asyncio.sleep(1.0)
            if not port_told:
                port_told = True
                port = _http_port(daemon)
                if port is not None:
                    # The console's address alone on its line: a terminal makes it a link.
                    console.print("控制台（在浏览器中处理预警、静默）：")
                    console.print(f"http://127.0.0.1:{port}/", soft_wrap=True, highlight=False)
                    console.print(f"指标与健康检查：http://127.0.0.1:{port}/metrics  /healthz")
            stats = world.stats()
            wave = stats["wave"]
            if wave["done"] and wave_over is None:
                wave_over = time.monotonic()
            # With --once the demo ends when the wave has been told in full: its alert fired,
            # and every post of it had time to be collected and judged (what the team would
            # have received for the whole wave is then in alerts.jsonl).
            settled = wave_over is not None and time.monotonic() - wave_over >= SETTLE
            if once and outcome.wave_fired and settled:
                done.set()
            progress = (wave["released"], wave["started"])
            if wave["started"] and progress != shown:
                shown = progress
                console.print(
                    f"[dim]{clock()}[/] [bold]模拟世界[/]      {wave['product']} 投诉潮："
                    f"已发出 {wave['released']}/{wave['size']} 条投诉"
                )
            if once and time.monotonic() - start > deadline:
                if outcome.wave_fired:  # fired, the wave still going: enough for --once
                    done.set()
                    break
                outcome.reason = (
                    f"{deadline:g} 秒内 {world.wave_product} 没有预警"
                    f"（模拟世界：{stats}；已有预警：{[a.alert.product for a in outcome.alerts]}）"
                )
                done.set()

    guard = asyncio.ensure_future(watchdog())
    try:
        await daemon.serve(until=done)
    finally:
        guard.cancel()
        world.stop()
    return outcome


def _http_port(daemon: Daemon) -> int | None:
    try:
        return daemon.get(HttpServer).port
    except LookupError:  # http.listen: null
        return None


def _quiet_daemon_logs() -> None:
    # The demo prints its own progress line per collection run and a panel per alert; the
    # daemon's INFO lines and the log receiver's copy of each alert would say it all twice.
    # Warnings and errors still show.
    logging.getLogger("yujing").setLevel(logging.WARNING)
    logging.getLogger("yujing.alerts").setLevel(logging.ERROR)


def run_demo(
    *, once: bool, deadline: float, workdir: Path | None, config_path: Path | None = None
) -> int:
    console = Console()
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        _quiet_daemon_logs()
    workdir = Path(workdir or tempfile.mkdtemp(prefix="yujing-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    outcome: DemoOutcome = run_in_reactor(
        lambda: demo_session(
            workdir, once=once, deadline=deadline, console=console, config_path=config_path
        )
    )
    if not outcome.ok:
        console.print(f"[bold red]演示失败：[/]{outcome.reason}")
        return 1
    fired = [a for a in outcome.alerts if a.alert.product == outcome.wave_product]
    if not fired:
        console.print("[bold]演示在投诉潮的预警发出前停止了[/]")
        return 1 if once else 0
    console.print(
        f"[bold green]演示完成：[/]{outcome.wave_product} 的投诉潮发出了预警；"
        f"全部预警记录在 {workdir / 'alerts.jsonl'}"
    )
    # Runnable as printed: the same command this demo was started with, paths quoted.
    config = config_path or config_dir() / "demo.yaml"
    hint = (
        f"YUJING_DEMO_DIR={shlex.quote(str(workdir))} {invoked_as()} status "
        f"-c {shlex.quote(str(config))}"
    )
    console.print(f"查看状态：  {escape(hint)}", soft_wrap=True, highlight=False)
    return 0
