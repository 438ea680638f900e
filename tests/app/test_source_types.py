"""A new source type is its config model, its collector's module and one line in ``COLLECTORS``:
the daemon runs it, stores its posts and records its runs as any source's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar, Literal, get_args

import pytest

from yujing.app.components.sources import Sources
from yujing.app.daemon import Daemon
from yujing.config import Source, SourceBase
from yujing.crawlers.collect import (
    COLLECTORS,
    CollectContext,
    Collected,
    Collector,
    collector_class,
)
from yujing.records import Post, post_id, utcnow

CONFIG = """
storage: {{path: {db}}}
alerts_file: null
products:
  - {{id: anxin-e, name: 安心e生医疗险}}
"""


class EchoSource(SourceBase):
    """A source that brings the texts its config lists (its model, as in yujing.config)."""

    type: Literal["echo"]
    label: ClassVar[str] = "回声"
    texts: list[str]


class EchoCollector(Collector):
    """Its collector: each text a post, handed to the daemon's intake."""

    async def collect(self, source: EchoSource, context: CollectContext) -> Collected:
        now = utcnow()
        accepted = 0
        for n, text in enumerate(source.texts):
            url = f"echo://{source.name}/{n}"
            post = Post(source.name, url, post_id(source.name, url), None, "", text, now, now)
            accepted += context.accept(post)
        return Collected(source.name, len(source.texts), accepted, 0, None)


TEXTS = ["安心e生医疗险理赔被拒，客服一直推脱", "安心e生医疗险续保被拒"]


@pytest.fixture
def daemon(tmp_path: Path):
    path = tmp_path / "yujing.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "y.db"), encoding="utf-8")
    daemon = Daemon(path, components=[Sources])
    echo = EchoSource(name="echo", type="echo", texts=TEXTS)
    daemon.config = daemon.config.model_copy(update={"sources": [echo]})
    yield daemon
    daemon.close()


def test_a_registered_source_type_is_collected_stored_and_recorded(daemon, monkeypatch) -> None:
    monkeypatch.setitem(COLLECTORS, EchoSource, f"{__name__}:EchoCollector")  # the one line
    report = asyncio.run(daemon.get(Sources).run_source("echo"))
    assert report is not None and (report.items, report.accepted, report.errors) == (2, 2, 0)
    for n in range(2):
        assert daemon.store.posts.has(post_id("echo", f"echo://echo/{n}"))
    runs = daemon.store.db.execute("SELECT items, accepted, errors FROM source_runs").fetchall()
    assert [tuple(r) for r in runs] == [(2, 2, 0)]
    report = asyncio.run(daemon.get(Sources).run_source("echo"))
    assert report is not None and (report.items, report.accepted) == (2, 0), "stored once"


def test_without_its_registry_line_the_run_fails_and_says_which_types_are_known(daemon) -> None:
    report = asyncio.run(daemon.get(Sources).run_source("echo"))
    assert report is not None and (report.accepted, report.errors) == (0, 1)
    assert report.last_error is not None
    assert "no collector for sources of type 'echo'" in report.last_error
    assert "'forum'" in report.last_error and "'transcripts'" in report.last_error
    assert not daemon.store.posts.has(post_id("echo", "echo://echo/0"))


def test_every_configurable_source_type_has_a_collector_and_a_label() -> None:
    models = get_args(get_args(Source)[0])
    assert set(models) == set(COLLECTORS)
    for model in models:
        assert issubclass(collector_class(model), Collector)
        assert model.label != SourceBase.label, f"{model.__name__} says what it is in Chinese"
