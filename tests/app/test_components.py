"""The daemon builds its parts from a list, starts them, tells them of reloads, stops them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from yujing.app.components import COMPONENTS, Component, NotConfigured, Reload
from yujing.app.components.delivery import Delivery
from yujing.app.components.detection import Detection
from yujing.app.daemon import Daemon

CONFIG = """
storage:
  path: {db}
alerts_file: null
products:
  - id: anxin-e
    name: 安心e生医疗险
"""

calls: list[str] = []


class Recorder(Component):
    def start(self, scheduler) -> None:
        calls.append("start")
        self.every(scheduler, "recorder", 3600, self.tick)

    async def tick(self) -> None:
        calls.append("tick")

    def reload_attempted(self) -> None:
        calls.append("attempted")

    def reload(self, change: Reload) -> None:
        calls.append(f"reload {len(change.old_config.products)}->{len(change.new_config.products)}")
        assert change.new_pipeline is self.daemon.pipeline is not change.old_pipeline

    async def stop(self) -> None:
        calls.append("stop")


class Second(Recorder):
    async def stop(self) -> None:
        calls.append("stop second")


class Unwanted(Component):
    @classmethod
    def from_daemon(cls, daemon: Daemon) -> Component:
        raise NotConfigured("the config does not ask for it")


def write(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "yujing.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "y.db") + extra, encoding="utf-8")
    return path


def test_the_default_parts_are_built_in_order(tmp_path: Path) -> None:
    daemon = Daemon(write(tmp_path))
    names = [type(c).__name__ for c in daemon.components]
    assert names == [entry.split(":")[1] for entry in COMPONENTS]
    assert isinstance(daemon.get(Detection), Detection) and daemon.get(Delivery).lock is not None
    daemon.store.close()


def test_not_configured_parts_are_left_out_and_the_rest_start_reload_and_stop_in_order(
    tmp_path: Path,
) -> None:
    calls.clear()
    path = write(tmp_path)
    daemon = Daemon(path, components=[Recorder, Unwanted, Second])
    assert [type(c) for c in daemon.components] == [Recorder, Second]

    more = "  - id: zhongan-baiwan\n    name: 众安百万医疗\n"
    path.write_text(path.read_text(encoding="utf-8") + more, encoding="utf-8")
    assert daemon.reload() is True
    assert calls == ["attempted", "attempted", "reload 1->2", "reload 1->2"]

    calls.clear()
    path.write_text("storage: {path: [not, a, path]}\n", encoding="utf-8")
    assert daemon.reload() is False  # invalid: reported, the last good config keeps running
    assert calls == ["attempted", "attempted"]
    assert len(daemon.config.products) == 2

    calls.clear()
    until = asyncio.Event()

    async def run() -> None:
        asyncio.get_running_loop().call_later(0.2, until.set)
        await daemon.serve(until=until)

    asyncio.run(run())
    assert calls == ["start", "start", "stop", "stop second"]
    assert daemon.scheduler is not None and not daemon.scheduler.running
