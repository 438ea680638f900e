"""Live detection and ``yujing replay --store`` over one store raise the same alerts."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

import pytest

from yujing.app.pipeline import Pipeline
from yujing.config import Config
from yujing.detector.replay_store import replay_store
from yujing.records import Post, hash_author, post_id
from yujing.store import Store

START = datetime(2026, 11, 2, tzinfo=UTC)
EVERY = timedelta(minutes=10)
WHO = ["我妈", "我爸", "我自己", "我老婆", "孩子", "我同事", "我舅舅", "邻居"]
GRIEF = ["理赔被拒，说有既往症", "拖了两个月不赔", "业务员说什么都保，现在拒赔", "突然不让续保了"]


def _config(tmp_path: Path) -> Config:
    return Config.model_validate(
        {
            "storage": {"path": str(tmp_path / "y.db")},
            "alerts_file": None,
            "products": [{"id": "anxin-e", "name": "安心e生医疗险", "aliases": ["安心e生"]}],
            "detection": {"evaluate_every": "10m"},
        }
    )


def _arrivals() -> list[tuple[datetime, datetime]]:
    """(published, fetched) of a store's posts: ten days of a few complaints a day, fetched
    minutes after they were posted; a wave on day 8 fetched as it came; a wave on day 9 that
    came in one export three hours after its last call, larger."""
    rng = Random(7)
    posts = []
    t = START
    while t < START + timedelta(days=10):
        if rng.random() < 3 / 144:
            posts.append((t, t + timedelta(minutes=rng.randint(1, 9))))
        t += EVERY
    on_time = START + timedelta(days=8, hours=3)
    posts += [
        (on_time + timedelta(minutes=5 * i), on_time + timedelta(minutes=5 * i + 2))
        for i in range(12)
    ]
    late = START + timedelta(days=9, hours=3)
    export = late + timedelta(hours=4)
    posts += [(late + timedelta(minutes=3 * i), export) for i in range(20)]
    return sorted(posts, key=lambda pf: pf[1])


def _post(n: int, published: datetime, fetched: datetime, rng: Random) -> Post:
    url = f"https://bbs.example.cn/t/{n}"
    text = f"{rng.choice(WHO)}的安心e生{rng.choice(GRIEF)}，第{n}次发帖"
    author = hash_author(f"user{n}", "salt")
    return Post("forum", url, post_id("forum", url), author, "", text, published, fetched)


def _live(config: Config) -> list[tuple[str, str]]:
    """The daemon's path: posts committed as they arrive, detection every ``EVERY``."""
    pipe = Pipeline(config, Store(config.storage.path))
    rng = Random(3)
    arrivals = _arrivals()
    events = []
    now, i = START, 0
    try:
        while now <= START + timedelta(days=11):
            while i < len(arrivals) and arrivals[i][1] <= now:
                pipe.accept(_post(i, *arrivals[i], rng))
                i += 1
            events += [(e.event.value, e.id) for e in pipe.detect(now, all_products=True)]
            now += EVERY
    finally:
        pipe.store.close()
    return events


def test_live_detection_and_replay_of_its_store_raise_the_same_alerts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(tmp_path)
    with caplog.at_level(logging.WARNING, logger="yujing.detector"):
        live = _live(config)
    # The late wave (20 calls, the ones that read as complaints) is said once, and kept.
    said = [r.getMessage() for r in caplog.records if "after their window" in r.getMessage()]
    assert len(said) == 1, said
    told = re.match(r"anxin-e: (\d+) complaints from 11-11 11:00-12:00 arrived after", said[0])
    assert told and 15 <= int(told[1]) <= 20, said
    store = Store(config.storage.path)
    [kept] = store.time_notices.late(START)
    store.close()
    assert (kept.product, kept.posts) == ("anxin-e", int(told[1]))
    assert kept.first_at == START + timedelta(days=9, hours=3)

    caplog.clear()
    replayed: list[dict] = []
    with caplog.at_level(logging.WARNING, logger="yujing.detector"):
        posts, _ = replay_store(config, config.storage.path, None, replayed.append)
    assert [
        r.getMessage() for r in caplog.records if "after their window" in r.getMessage()
    ] == said
    assert posts == len(_arrivals())
    assert [(e["event"], e["id"]) for e in replayed] == live
    fired = [i for e, i in live if e == "firing"]
    on_time = START + timedelta(days=8, hours=3)
    assert len(fired) == 1 and on_time.strftime("%Y%m%d") in fired[0], live

    published: list[dict] = []
    replay_store(config, config.storage.path, None, published.append, as_published=True)
    firing = [e["id"] for e in published if e["event"] == "firing"]
    assert len(firing) == 2, "as published, the late wave is a wave too"
