"""A new detection rule is one module and one registry line: a rule defined here, registered for
a config model of its own, is built and driven by the daemon's pipeline as burst detection and
source health are, and its alert reaches the receivers in the words ``KINDS`` gives its kind."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yujing.alerts import KINDS, Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.app.pipeline import Pipeline
from yujing.config import Config
from yujing.config.base import Strict
from yujing.config.labels import matcher_problem
from yujing.detector.burst.rule import BurstDetectionRule
from yujing.detector.lifecycle import Change
from yujing.detector.rule import REGISTRY, RuleContext, StoredPosts
from yujing.detector.source_health import SourceHealthRule
from yujing.records import Post, post_id
from yujing.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KIND = "probe"
STATE_KEY = "test.probe"


class Probe(Strict):
    """The probe rule's config: how many stored posts make it fire."""

    at_least: int = 3


class ProbeConfig(Config):
    probe: Probe = Probe()


class ProbeRule:
    """Fires once, when the store holds ``at_least`` posts; remembers that it did."""

    kinds = (KIND,)
    consumes = StoredPosts

    def __init__(self, conf: Probe, store: Store):
        self.conf, self.store = conf, store
        self.posts = 0
        self.fired = False
        self.restore_state()

    @classmethod
    def from_config(cls, sections: Sequence[Probe], context: RuleContext) -> ProbeRule:
        return cls(sections[0], context.store)

    def observe(self, item: StoredPosts) -> None:
        self.posts = item.store.posts.count()

    def evaluate(self, now: datetime, *, every_series: bool = False) -> list[Change]:
        if self.fired or self.posts < self.conf.at_least:
            return []
        alert = Alert(
            key=f"{KIND}:store",
            id=f"{KIND}:store@{now:%Y%m%dT%H%M%SZ}",
            severity=Severity.YELLOW,
            state=AlertState.FIRING,
            started_at=now,
            updated_at=now,
            labels={"kind": KIND, "product_name": "探针"},
            reasons=(f"库中已有 {self.posts} 条帖子",),
        )
        return [Change(alert, AlertEvent(EventKind.FIRING, alert))]

    def committed(self, changes: Sequence[Change]) -> None:
        self.fired = self.fired or any(c.alert.kind == KIND for c in changes)

    def rollback(self) -> None:
        pass

    def save_state(self) -> None:
        self.store.state.set(STATE_KEY, {"fired": self.fired})

    def restore_state(self) -> None:
        self.fired = bool((self.store.state.get(STATE_KEY) or {}).get("fired"))


def _config(tmp_path: Path) -> ProbeConfig:
    return ProbeConfig.model_validate(
        {
            "alerts_file": None,
            "storage": {"path": str(tmp_path / "y.db")},
            "notify": {
                "receivers": [{"name": "log", "type": "log"}],
                "route": {"receiver": "log", "group_wait": "0s"},
            },
        }
    )


def _post(n: int) -> Post:
    at = T0 + timedelta(minutes=n)
    return Post(
        source="forum",
        url=f"https://forum.example/t/{n}",
        id=post_id("forum", str(n)),
        author=f"u{n}",
        title="",
        text=f"第 {n} 帖",
        published_at=at,
        fetched_at=at,
    )


def _told(pipeline: Pipeline, n: int, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Accept posts 0..n-1, evaluate as the daemon's scheduled look does, deliver; the alert
    lines the log receiver wrote."""
    for i in range(n):
        pipeline.accept(_post(i))
    caplog.clear()
    pipeline.detect(T0 + timedelta(hours=1), all_products=True)
    pipeline.notifier.deliver_due(T0 + timedelta(hours=2))
    return [r.getMessage() for r in caplog.records if r.name == "yujing.alerts"]


@pytest.fixture
def probe_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(KINDS, KIND, "探针告警")


def test_a_rule_registered_for_its_config_model_raises_through_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, probe_kind
) -> None:
    monkeypatch.setitem(REGISTRY, Probe, f"{__name__}:ProbeRule")
    config = _config(tmp_path)
    caplog.set_level(logging.INFO, logger="yujing.alerts")
    pipeline = Pipeline(config, Store(config.storage.path))
    assert [type(r) for r in pipeline.rules] == [BurstDetectionRule, ProbeRule]
    [line] = _told(pipeline, 3, caplog)
    # Its title names it in the words KINDS gives its kind; its reason is its own.
    assert "探针 探针告警" in line and "库中已有 3 条帖子" in line, line
    [stored] = pipeline.store.alerts.all(AlertState.FIRING)
    assert stored.kind == KIND
    # Its state goes through save and restore: a restarted pipeline does not fire it again.
    pipeline.save_state()
    pipeline.store.close()
    again = Pipeline(config, Store(config.storage.path))
    assert _told(again, 4, caplog) == []
    again.store.close()


def test_without_its_registry_line_the_same_config_raises_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, probe_kind
) -> None:
    config = _config(tmp_path)
    caplog.set_level(logging.INFO, logger="yujing.alerts")
    pipeline = Pipeline(config, Store(config.storage.path))
    assert [type(r) for r in pipeline.rules] == [BurstDetectionRule]
    assert _told(pipeline, 3, caplog) == []
    pipeline.store.close()


def test_the_shipped_rules_come_from_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config.model_validate(
        {
            "alerts_file": None,
            "storage": {"path": str(tmp_path / "y.db")},
            "sources": [
                {"name": "a", "type": "feed", "url": "https://a.example/rss"},
                {"name": "b", "type": "feed", "url": "https://b.example/rss"},
            ],
        }
    )
    store = Store(config.storage.path)
    pipeline = Pipeline(config, store)
    assert [type(r) for r in pipeline.rules] == [BurstDetectionRule, SourceHealthRule]
    assert all(set(r.kinds) <= set(KINDS) for r in pipeline.rules)
    # Taken out of the registry, a rule is not built: the pipeline names none itself.
    monkeypatch.delitem(REGISTRY, type(config.sources[0].health))
    assert [type(r) for r in Pipeline(config, store).rules] == [BurstDetectionRule]
    store.close()


def test_a_new_kind_is_known_to_routes_from_the_one_table(tmp_path: Path, probe_kind) -> None:
    # The config's label check reads the kinds from KINDS: a route may match the new rule's kind.
    config = _config(tmp_path)
    assert matcher_problem(f"kind={KIND}", config) is None
    assert "did you mean 'probe'" in (matcher_problem("kind=prbe", config) or "")
