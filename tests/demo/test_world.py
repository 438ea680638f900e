"""The demo world as the daemon sees it: over HTTP, through the selectors in config/demo.yaml."""

from __future__ import annotations

import calendar
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from parsel import Selector

from yujing.app.demo import calls as calls_module
from yujing.app.demo import render
from yujing.app.demo.world import DemoWorld
from yujing.config import Config, ForumSource, load_config

ROOT = Path(__file__).resolve().parents[2]
START = datetime.fromisoformat("2026-11-20T14:30:00+08:00").timestamp()
HOUR = 3600.0


class FakeClock:
    def __init__(self, now: float = START):
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Seen:
    """A post as a reader of the world finds it."""

    source: str
    title: str
    text: str
    author: str | None
    published: float
    views: int | None = None
    comments: int | None = None


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "config" / "demo.yaml")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(tmp_path: Path, clock: FakeClock) -> Iterator[DemoWorld]:
    with DemoWorld(tmp_path, wave_after=5, wave_duration=10, clock=clock) as w:
        yield w


def fetch(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read(), resp.headers.get("Content-Type", "")


def select(sel: Selector, query: str) -> list[str]:
    """What a config selector reaches, as text: CSS, or XPath when it starts with / or (."""
    found = sel.xpath(query) if query.startswith(("/", "(")) else sel.css(query)
    return [n.root if isinstance(n.root, str) else n.xpath("string()").get() for n in found]


def one(sel: Selector, query: str | None) -> str:
    assert query is not None
    values = [v.strip() for v in select(sel, query) if v.strip()]
    assert len(values) == 1, f"{query!r} should find exactly one value, found {values}"
    return values[0]


def gbk_page(url: str) -> Selector:
    body, ctype = fetch(url)
    charset = ctype.split("charset=")[-1]
    assert charset == "gbk"
    return Selector(text=body.decode(charset))


def local(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M").replace(tzinfo=render.TZ).timestamp()


def forum_source(config: Config) -> ForumSource:
    return next(s for s in config.sources if isinstance(s, ForumSource))


def list_pages(world: DemoWorld, config: Config) -> list[list[str]]:
    """Thread links page by page, following the configured next link to the end."""
    source = forum_source(config)
    url: str | None = world.url + "/forum/list"
    pages = []
    while url:
        page = gbk_page(url)
        pages.append(select(page, source.list.link))
        assert source.list.next is not None
        following = select(page, source.list.next)
        url = world.url + following[0] if following else None
    return pages


def read_forum(world: DemoWorld, config: Config) -> list[Seen]:
    d = forum_source(config).detail
    out = []
    for links in list_pages(world, config):
        for link in links:
            page = gbk_page(world.url + link)
            out.append(
                Seen(
                    "forum",
                    one(page, d.title),
                    one(page, d.text),
                    one(page, d.author),
                    local(one(page, d.published)),
                    int(one(page, d.views)),
                    int(one(page, d.comments)),
                )
            )
    return out


def read_feed(world: DemoWorld) -> list[Seen]:
    parsed = feedparser.parse(fetch(world.url + "/feed.xml")[0])
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [
        Seen("feed", e.title, e.description, e.get("author"), calendar.timegm(e.published_parsed))
        for e in parsed.entries
    ]


def read_inbox(world: DemoWorld) -> list[Seen]:
    out = []
    for path in sorted(world.inbox.iterdir()):
        if path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                when = datetime.fromisoformat(r["time"]).timestamp()
                out.append(Seen("transcript", "", r["text"], r["caller"], when))
        else:
            text = path.read_bytes().decode("gbk")
            out.append(Seen("transcript", "", text, None, path.stat().st_mtime))
    return out


def read_all(world: DemoWorld, config: Config) -> list[Seen]:
    return read_forum(world, config) + read_feed(world) + read_inbox(world)


def product_of(post: Seen, config: Config) -> str | None:
    named = [p.id for p in config.products if any(t in post.title + post.text for t in p.terms())]
    assert len(named) <= 1, f"a demo post names one product at most: {post}"
    return named[0] if named else None


def max_per_hour(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + HOUR) for t in times), default=0)


def recent_by_product(posts: list[Seen], config: Config, since: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {p.id: [] for p in config.products}
    for post in posts:
        product = product_of(post, config)
        if product and post.published >= since:
            out[product].append(post.published)
    return out


# ---------------------------------------------------------------- the forum


def test_forum_lists_paginate_newest_first_in_gbk(world: DemoWorld, config: Config) -> None:
    body, ctype = fetch(world.url + "/forum/list?page=1")
    assert ctype == "text/html; charset=gbk"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # really GBK bytes, not UTF-8 with a GBK label
    text = body.decode("gbk")
    assert '<meta charset="gbk">' in text and "下一页" in text

    pages = list_pages(world, config)
    links = [link for page in pages for link in page]
    assert len(pages) >= 3
    assert all(len(page) == 20 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 20
    assert len(set(links)) == len(links) == world.stats()["posts"]["forum"]
    assert "下一页" not in fetch(world.url + f"/forum/list?page={len(pages)}")[0].decode("gbk")

    times = [local(t) for t in re.findall(r'class="lastpost">([^<]+)<', text)]
    assert times == sorted(times, reverse=True)


def test_thread_pages_carry_every_configured_field(world: DemoWorld, config: Config) -> None:
    posts = read_forum(world, config)  # one() fails unless each selector finds exactly one value
    assert len(posts) >= 40
    now = world.now()
    assert all(now - 7 * 86400 <= p.published <= now for p in posts)
    assert all(p.title and len(p.text) > len(p.title) / 2 for p in posts)
    assert len({p.author for p in posts}) > 10
    assert all(p.views is not None and p.views > 0 for p in posts)


def test_unknown_pages_are_404_and_robots_allow_all(world: DemoWorld) -> None:
    body, _ = fetch(world.url + "/robots.txt")
    assert body.decode() == "User-agent: *\nAllow: /\n"
    for path in ("/forum/thread/1", "/forum/list?page=999", "/news/abc", "/nothing"):
        with pytest.raises(urllib.error.HTTPError) as err:
            fetch(world.url + path)
        assert err.value.code == 404


# ---------------------------------------------------------------- the feed


def test_feed_is_rss_with_dates_authors_and_resolving_links(world: DemoWorld) -> None:
    parsed = feedparser.parse(fetch(world.url + "/feed.xml")[0])
    assert not parsed.bozo and parsed.version == "rss20"
    assert 10 <= len(parsed.entries) <= 50
    for e in parsed.entries:
        assert e.published_parsed and e.get("author") and e.id == e.link
        assert e.published.endswith("+0800")
    page, ctype = fetch(parsed.entries[0].link)
    assert ctype == "text/html; charset=utf-8"
    assert parsed.entries[0].title in page.decode()


def test_feed_keeps_only_the_latest_fifty(world: DemoWorld, clock: FakeClock) -> None:
    clock.now += 600  # ten minutes of live posting and the whole wave
    world.tick()
    assert world.stats()["posts"]["feed"] > 50
    assert len(read_feed(world)) == 50


# ---------------------------------------------------------------- history and live background


def test_history_spans_a_week_for_every_product_and_is_quiet_lately(
    world: DemoWorld, config: Config
) -> None:
    now = world.now()
    posts = read_all(world, config)
    by_product = recent_by_product(posts, config, since=now - 7 * 86400)
    for product, times in by_product.items():
        assert 12 <= len(times) <= 32, (product, len(times))  # 2-4 a day for 7 days
        assert max(times) - min(times) > 5 * 86400
    named = [p for p in posts if product_of(p, config)]
    assert {p.source for p in named} == {"forum", "feed", "transcript"}
    # Day and night: most posts fall in waking hours.
    hours = [datetime.fromtimestamp(p.published, render.TZ).hour for p in named]
    assert sum(1 for h in hours if h >= 7) > 0.8 * len(hours)
    # Nothing near "now" looks like a burst.
    for product, times in recent_by_product(posts, config, since=now - 2 * HOUR).items():
        assert max_per_hour(times) <= 2, product


def test_live_posts_keep_coming_but_no_product_bursts_by_chance(
    tmp_path: Path, clock: FakeClock, config: Config
) -> None:
    with DemoWorld(tmp_path, wave_after=10 * HOUR, clock=clock) as world:
        before = world.stats()["posts"]
        for _ in range(120):  # ten minutes, a tick every five seconds
            clock.now += 5
            world.tick()
        after = world.stats()["posts"]
        live = sum(after.values()) - sum(before.values())
        assert 100 <= live <= 200  # one every ~4 s
        posts = read_all(world, config)
    now = clock.now
    recent = recent_by_product(posts, config, since=now - 2 * HOUR)
    assert any(t > now - 600 for times in recent.values() for t in times), (
        "live posts name products"
    )
    for product, times in recent.items():
        assert max_per_hour(times) <= 2, product
    assert not world.wave_started


# ---------------------------------------------------------------- the wave


def test_wave_arrives_on_schedule_across_all_sources(
    world: DemoWorld, config: Config, clock: FakeClock
) -> None:
    clock.now += 4
    assert not world.wave_started and world.stats()["wave"]["released"] == 0
    clock.now += 1
    assert world.wave_started and not world.wave_done
    clock.now += 5
    assert 0 < world.stats()["wave"]["released"] < 24
    clock.now += 6
    assert world.wave_done
    stats = world.stats()["wave"]
    assert stats["by_source"] == {"forum": 12, "feed": 6, "transcript": 6}

    now = clock.now
    posts = read_all(world, config)
    recent = recent_by_product(posts, config, since=now - HOUR)
    assert len(recent["anxin-e"]) >= 24 * 0.7
    assert all(len(times) <= 2 for product, times in recent.items() if product != "anxin-e")

    wave = [p for p in posts if p.published > now - 20 and product_of(p, config) == "anxin-e"]
    assert {p.source for p in wave} == {"forum", "feed", "transcript"}
    texts = [p.text for p in wave]
    assert len(set(texts)) == len(texts), "one text from many accounts would read as a campaign"
    assert sum(1 for t in texts if re.search("拒赔|不赔|理赔", t)) >= 6
    assert sum(1 for t in texts if "退保" in t) >= 3
    collective = [t for t in texts if re.search("维权群|集体投诉|拉群|向监管投诉|曝光|维权", t)]
    assert len(texts) / 5 <= len(collective) <= len(texts) / 2
    authors = [p.author for p in wave if p.author]
    assert len(set(authors)) >= 0.7 * len(authors)


def test_wave_threads_gain_readers(world: DemoWorld, config: Config, clock: FakeClock) -> None:
    clock.now += 20
    recent = [p for p in read_forum(world, config) if p.published >= local("2026-11-20 14:30")]
    wave = [p for p in recent if product_of(p, config) == "anxin-e"]
    assert len(wave) >= 12  # the wave's forum half, maybe a live post too
    clock.now += 300
    later = {p.title: p for p in read_forum(world, config)}
    grown = [p for p in wave if later[p.title].views > p.views]  # type: ignore[operator]
    assert len(grown) == 12, "every wave thread draws readers, ordinary ones do not"
    assert all(later[p.title].comments > p.comments for p in grown)  # type: ignore[operator]


def test_transcripts_land_atomically_in_both_formats(
    world: DemoWorld, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def watched(src: str | Path, dst: str | Path) -> None:
        src, dst = Path(src), Path(dst)
        # At the moment it appears the file is complete and the name it was written under is hidden.
        assert src.name == f".{dst.name}.tmp" and not dst.exists()
        assert src.read_bytes().endswith(b"\n")
        renames.append((src.name, dst.name))
        real_replace(src, dst)

    monkeypatch.setattr(calls_module.os, "replace", watched)
    clock.now += 20
    world.tick()
    assert len(renames) == 6  # the wave's six calls
    files = sorted(world.inbox.iterdir())
    assert not [f for f in files if f.name.startswith(".")]
    jsonl = [f for f in files if f.suffix == ".jsonl"]
    txt = [f for f in files if f.suffix == ".txt"]
    assert jsonl and txt and len(files) == 8  # six wave calls and two old ones
    for f in jsonl:
        record = json.loads(f.read_text(encoding="utf-8"))
        assert set(record) == {"id", "caller", "time", "agent", "text"}
        assert re.fullmatch(r"1\d\d\*{4}\d{4}", record["caller"])
        assert record["time"].endswith("+08:00")
    for f in txt:
        with pytest.raises(UnicodeDecodeError):
            f.read_bytes().decode("utf-8")
        assert "客户：" in f.read_bytes().decode("gbk")


# ---------------------------------------------------------------- the world as a whole


def test_same_seed_same_world(tmp_path: Path, config: Config) -> None:
    def titles(seed: int, where: str) -> list[str]:
        clock = FakeClock()
        with DemoWorld(tmp_path / where, seed=seed, wave_after=1, clock=clock) as world:
            clock.now += 30
            return [p.title for p in read_forum(world, config)]

    assert titles(7, "a") == titles(7, "b") != titles(8, "c")


def test_runs_on_the_real_clock(tmp_path: Path) -> None:
    with DemoWorld(tmp_path, wave_after=0.1, wave_size=8, wave_duration=0.3) as world:
        deadline = time.monotonic() + 10
        while not world.wave_done and time.monotonic() < deadline:
            time.sleep(0.05)
        stats = world.stats()
    assert stats["wave"]["done"] and stats["wave"]["released"] == 8
    assert stats["wave"]["by_source"] == {"forum": 4, "feed": 2, "transcript": 2}


def test_rejects_unknown_wave_product(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown demo product 'nope'"):
        DemoWorld(tmp_path, wave_product="nope")
