"""Detector, pipeline and notifier together: the detector reports every series that bursts,
and the shipped inhibit rule decides what reaches a receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from random import Random

from yujing.app.pipeline import Pipeline
from yujing.config import Config
from yujing.detector.burst import detector_for
from yujing.records import Post, ScoredPost, post_id
from yujing.store import Store

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
_ids = count()


def observe(pipeline: Pipeline, product: str, at: datetime, categories: tuple[str, ...]) -> None:
    n = next(_ids)
    post = Post(
        source="forum",
        url=f"https://forum.example/{n}",
        id=post_id("forum", str(n)),
        author=f"u{n}",
        title="",
        text=f"complaint {n}",
        published_at=at,
        fetched_at=at,
    )
    pipeline.detector.observe(ScoredPost(post, (product,), categories, 0.1, False))


def background(pipeline: Pipeline, product: str, per_day: float, seed: int, cats=()) -> None:
    """About ``per_day`` posts a day over the two weeks before T0."""
    rng = Random(seed)
    t = T0 - timedelta(days=14)
    while t < T0 - timedelta(hours=2):
        if rng.random() < per_day / 144:
            observe(pipeline, product, t, cats)
        t += timedelta(minutes=10)


def make(tmp_path: Path) -> tuple[Pipeline, Path]:
    out = tmp_path / "sent.jsonl"
    config = Config.model_validate(
        {
            "products": [{"id": p, "name": p} for p in ("whole", "busy")],
            "alerts_file": None,
            "storage": {"path": str(tmp_path / "y.db")},
            "detection": {"burst": {"min_count": 5, "ratio": 3, "p_value": 1e-6}},
            "notify": {
                "receivers": [{"name": "file", "type": "file", "path": str(out)}],
                "route": {"receiver": "file"},
            },
        }
    )
    store = Store(config.storage.path)
    # A detector without a store: it learns only what the test shows it.
    return Pipeline(config, store, detector=detector_for(config, None)), out


def sent(pipeline: Pipeline, out: Path, at: datetime) -> list[tuple[str, str]]:
    """Deliver what is due at ``at``; (key, event) of every alert told anew so far."""
    pipeline.notifier.deliver_due(at)
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    return [
        (a["key"], a["event"])
        for n in map(json.loads, lines)
        for a in n["alerts"]
        if a["id"] in n["changed"]
    ]


def test_category_alerts_reach_receivers_only_while_their_product_is_calm(tmp_path) -> None:
    pipeline, out = make(tmp_path)
    try:
        # whole: a product-wide wave, all of it about claims. busy: claims posts burst while
        # the busy product's total barely moves.
        background(pipeline, "whole", 2, seed=1)
        background(pipeline, "whole", 1, seed=9, cats=("理赔",))
        background(pipeline, "busy", 150, seed=2)
        background(pipeline, "busy", 1, seed=3, cats=("理赔",))
        for i in range(8):
            observe(pipeline, "whole", T0 + timedelta(minutes=i), ("理赔",))
            observe(pipeline, "busy", T0 + timedelta(minutes=i), ("理赔",))
        events = pipeline.detect(T0 + timedelta(minutes=9), all_products=True)

        fired = {(e.alert.key, e.event.value) for e in events}
        assert ("burst:whole", "firing") in fired
        assert ("burst:whole/理赔", "firing") in fired, "the detector reports it"
        assert ("burst:busy/理赔", "firing") in fired
        assert ("burst:busy", "firing") not in fired

        delivered = sent(pipeline, out, T0 + timedelta(minutes=10))
        assert ("burst:whole", "firing") in delivered
        assert ("burst:busy/理赔", "firing") in delivered
        assert [k for k, _ in delivered if k == "burst:whole/理赔"] == [], "inhibited"
    finally:
        pipeline.store.close()


def test_a_category_alert_that_outlasts_its_product_is_sent_once_the_product_resolves(
    tmp_path,
) -> None:
    pipeline, out = make(tmp_path)
    try:
        background(pipeline, "whole", 24, seed=4)  # about one post an hour
        background(pipeline, "whole", 0.5, seed=5, cats=("理赔",))
        # A product-wide wave with claims in it: both fire, the category is inhibited.
        for i in range(20):
            observe(pipeline, "whole", T0 + timedelta(minutes=i), ("理赔",) if i % 2 else ())
        pipeline.detect(T0 + timedelta(minutes=20), all_products=True)
        delivered = sent(pipeline, out, T0 + timedelta(minutes=21))
        assert ("burst:whole", "firing") in delivered
        assert all(k != "burst:whole/理赔" for k, _ in delivered), "inhibited while whole fires"
        # Then claims alone go on, three an hour: usual for the product, not for the category.
        minute = 20
        while minute < 5 * 60:
            minute += 10
            if minute % 20 == 0:
                observe(pipeline, "whole", T0 + timedelta(minutes=minute), ("理赔",))
            pipeline.detect(T0 + timedelta(minutes=minute), all_products=True)
            pipeline.notifier.deliver_due(T0 + timedelta(minutes=minute))
        delivered = sent(pipeline, out, T0 + timedelta(minutes=minute + 10))
        product = [e for k, e in delivered if k == "burst:whole"]
        category = [e for k, e in delivered if k == "burst:whole/理赔"]
        assert product == ["firing", "resolved"]
        assert category[:1] == ["firing"], "told once nothing muted it any more"
        assert delivered.index(("burst:whole", "resolved")) < delivered.index(
            ("burst:whole/理赔", "firing")
        )
    finally:
        pipeline.store.close()


def test_a_wave_detected_just_before_a_restart_is_told_after_it(tmp_path) -> None:
    pipeline, out = make(tmp_path)
    background(pipeline, "whole", 2, seed=1)
    for i in range(8):
        observe(pipeline, "whole", T0 + timedelta(minutes=i), ())
    detected = T0 + timedelta(minutes=9)
    (event,) = pipeline.detect(detected, all_products=True)
    assert sent(pipeline, out, detected) == [], "its group waits group_wait (30s)"
    (entry,) = pipeline.store.audit.entries()  # the event is in the audit journal
    assert (entry.kind, entry.alert_id, json.loads(entry.body)["event"]) == (
        "alert",
        event.id,
        "firing",
    )
    pipeline.store.close()  # the daemon stops inside the wait

    again = Pipeline(pipeline.config, Store(pipeline.config.storage.path))
    try:
        assert sent(again, out, detected + timedelta(seconds=29)) == []
        assert sent(again, out, detected + timedelta(seconds=30)) == [("burst:whole", "firing")]
        assert sent(again, out, detected + timedelta(minutes=10)) == [("burst:whole", "firing")]
        (line,) = out.read_text(encoding="utf-8").splitlines()
        assert json.loads(line)["alerts"][0]["id"] == event.id
    finally:
        again.store.close()


def test_with_kibana_configured_every_alert_links_to_its_posts_in_discover(tmp_path) -> None:
    out = tmp_path / "sent.jsonl"
    config = Config.model_validate(
        {
            "products": [{"id": "whole", "name": "整体"}],
            "alerts_file": None,
            "storage": {"path": str(tmp_path / "y.db")},
            "detection": {"burst": {"min_count": 5, "ratio": 3, "p_value": 1e-6}},
            "notify": {
                "receivers": [{"name": "file", "type": "file", "path": str(out)}],
                "route": {"receiver": "file"},
            },
            "elasticsearch": {"hosts": ["http://127.0.0.1:9"], "index_prefix": "acme"},
            "kibana": {"url": "https://kibana.example.cn", "space": "pr"},
        }
    )
    store = Store(config.storage.path)
    pipeline = Pipeline(config, store, detector=detector_for(config, None))
    try:
        background(pipeline, "whole", 2, seed=1)
        for i in range(8):
            observe(pipeline, "whole", T0 + timedelta(minutes=i), ())
        detected = T0 + timedelta(minutes=9)
        (event,) = pipeline.detect(detected, all_products=True)
        link = event.alert.annotations["discover_url"]
        assert link.startswith("https://kibana.example.cn/s/pr/app/discover#/?_g=")
        assert "index:acme-posts" in link and "whole" in link
        # What receivers get and what the store keeps carry the same link.
        pipeline.notifier.deliver_due(detected + timedelta(seconds=30))  # after group_wait
        (delivered,) = map(json.loads, out.read_text(encoding="utf-8").splitlines())
        assert delivered["alerts"][0]["annotations"]["discover_url"] == link
        assert store.alerts.all()[0].annotations["discover_url"] == link
    finally:
        store.close()


def test_one_persons_repeated_complaints_go_where_routes_send_repeat_alerts(
    tmp_path, caplog
) -> None:
    pr, service = tmp_path / "pr.jsonl", tmp_path / "service.jsonl"
    config = Config.model_validate(
        {
            "products": [{"id": "whole", "name": "全险"}],
            "alerts_file": None,
            "storage": {"path": str(tmp_path / "y.db")},
            "detection": {"burst": {"min_count": 5, "ratio": 3, "p_value": 1e-6}},
            "notify": {
                "receivers": [
                    {"name": "pr", "type": "file", "path": str(pr)},
                    {"name": "service", "type": "file", "path": str(service)},
                    {"name": "log", "type": "log"},
                ],
                "route": {
                    "receiver": "pr",
                    "routes": [
                        {"matchers": ["kind=repeat"], "receiver": "service", "continue": True},
                        {"matchers": ["kind=repeat"], "receiver": "log"},
                    ],
                },
            },
        }
    )
    pipeline = Pipeline(config, Store(config.storage.path), detector=detector_for(config, None))
    try:
        background(pipeline, "whole", 2, seed=1)
        for i in range(12):  # one angry customer, a dozen posts in ten minutes
            post = Post(
                source="forum", url=f"https://forum.example/a{i}", id=post_id("forum", f"a{i}"),
                author="angry", title="", text=f"还不赔 {i}",
                published_at=T0 + timedelta(seconds=50 * i), fetched_at=T0,
            )  # fmt: skip
            pipeline.detector.observe(ScoredPost(post, ("whole",), (), 0.1, False))
        with caplog.at_level("INFO"):
            [event] = pipeline.detect(T0 + timedelta(minutes=11), all_products=True)
            assert event.alert.kind == "repeat"
            pipeline.notifier.deliver_due(T0 + timedelta(minutes=12))
        assert not pr.exists(), "not a group complaint: the PR team is not told"
        [told] = [json.loads(line) for line in service.read_text(encoding="utf-8").splitlines()]
        assert [a["kind"] for a in told["alerts"]] == ["repeat"]
        assert "【蓝色预警】全险 同一用户反复投诉" in caplog.text, "the log receiver's message"
    finally:
        pipeline.store.close()
