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


def test_spiders_are_told_which_posts_are_known_under_every_id_and_reloads_keep_the_index(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    from yujing.app.components.sources import Sources
    from yujing.records import Post, post_id

    path = write(tmp_path)
    daemon = Daemon(path)
    at = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    text = "安心e生医疗险理赔被拒，理由是既往症未告知，可投保时根本没问过，客服一直推脱。"
    url = "https://bbs.example/thread-1.html"

    def sighting(source: str, native_id: str, author: str | None, minutes: int) -> Post:
        when = at + timedelta(minutes=minutes)
        return Post(source, url, post_id(source, native_id), author, "拒赔", text, when, when)

    assert daemon.pipeline.accept(sighting("bbs", url, "a1b2", 0))
    assert not daemon.pipeline.accept(sighting("bbs-rss", "guid-1", None, 5))  # its feed copy
    sources = daemon.get(Sources)
    assert sources._known_url("bbs")(url) and sources._known_url("bbs-rss")("guid-1")
    assert not sources._known_url("bbs-rss")("guid-2")

    identity = daemon.pipeline.identity
    path.write_text(path.read_text(encoding="utf-8") + "  - id: b\n    name: b\n", "utf-8")
    assert daemon.reload() and daemon.pipeline.identity is identity, "not rebuilt on reload"
    daemon.store.close()
