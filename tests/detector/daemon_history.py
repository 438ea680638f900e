"""A store filled as the daemon fills it: posts committed as they arrive, detection every tick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from yujing.app.pipeline import Pipeline
from yujing.config import Config
from yujing.records import Post, format_time, hash_author, post_id
from yujing.store import Store

START = datetime(2026, 11, 2, tzinfo=UTC)
STEP = timedelta(minutes=10)  # of the quiet days, a complaint or not
WHO = ["我妈", "我爸", "我自己", "我老婆", "孩子", "我同事", "我舅舅", "邻居"]
GRIEF = ["理赔被拒，说有既往症", "拖了两个月不赔", "业务员说什么都保，现在拒赔", "突然不让续保了"]


@dataclass(frozen=True)
class Wave:
    start: datetime
    posts: int
    minutes_apart: int
    export_after: timedelta | None = None  # all fetched at once, this long after the start


def config_for(tmp_path: Path, **burst: Any) -> Config:
    return Config.model_validate(
        {
            "storage": {"path": str(tmp_path / "y.db")},
            "alerts_file": None,
            "products": [{"id": "anxin-e", "name": "安心e生医疗险", "aliases": ["安心e生"]}],
            "detection": {"burst": burst},  # looked at every minute, as shipped
        }
    )


def arrivals(days: int, *waves: Wave) -> list[tuple[datetime, datetime]]:
    """(published, fetched) of a store's posts in the order they came: ``days`` of a few
    complaints a day, fetched minutes after they were posted, and ``waves``."""
    rng = Random(7)
    posts = []
    t = START
    while t < START + timedelta(days=days):
        if rng.random() < 3 / 144:
            posts.append((t, t + timedelta(minutes=rng.randint(1, 9))))
        t += STEP
    for w in waves:
        for i in range(w.posts):
            at = w.start + timedelta(minutes=w.minutes_apart * i)
            fetched = w.start + w.export_after if w.export_after else at + timedelta(minutes=2)
            posts.append((at, fetched))
    return sorted(posts, key=lambda pf: pf[1])


def _post(n: int, published: datetime, fetched: datetime, rng: Random) -> Post:
    url = f"https://bbs.example.cn/t/{n}"
    text = f"{rng.choice(WHO)}的安心e生{rng.choice(GRIEF)}，第{n}次发帖"
    author = hash_author(f"user{n}", "salt")
    return Post("forum", url, post_id("forum", url), author, "", text, published, fetched)


def run_daemon(config: Config, came: list[tuple[datetime, datetime]]) -> list[tuple[str, str, str]]:
    """The daemon's path over ``came``: each post committed once fetched, every product
    evaluated every ``evaluate_every``; the (event, alert id, when) it raised."""
    pipe = Pipeline(config, Store(config.storage.path))
    rng = Random(3)
    events = []
    now, i = START, 0
    tick = timedelta(seconds=config.detection.evaluate_every)
    end = max(fetched for _, fetched in came) + timedelta(days=1)
    try:
        while now <= end:
            while i < len(came) and came[i][1] <= now:
                pipe.accept(_post(i, *came[i], rng))
                i += 1
            events += [
                (e.event.value, e.id, format_time(e.alert.updated_at))
                for e in pipe.detect(now, all_products=True)
            ]
            now += tick
    finally:
        pipe.store.close()
    return events
