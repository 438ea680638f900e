"""A small simulated world for ``yujing demo``: a forum, a feed and a transcript drop folder.

It starts with a week of ordinary chatter about five made-up products, keeps posting while it
runs, and after ``wave_after`` seconds releases a wave of complaints about one product. The real
daemon crawls it over HTTP and should warn about that product and no other.

Everything happens on a schedule computed from ``clock``: ``tick()`` releases whatever is due, so a
test with a fake clock sees exactly what a live run would, without sleeping.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from types import TracebackType
from typing import Any

from . import content, render
from .content import PRODUCTS, DemoProduct
from .server import DemoServer

__all__ = ["DemoWorld", "DemoPost"]

LIVE_EVERY = 4.0  # seconds between live background posts, on average
# Live posts are stamped "now", so in a demo of a minute or two they pile into the current hour.
# Capping each product keeps that hour ordinary: at most one live post per product per ten
# minutes, and never a third post in any hour. The rest of the chatter names no product.
LIVE_GAP = 600.0
HOUR_CAP = 2
# Relative chance of a post in each local hour: quiet nights, busy lunch and evenings.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 10, 8, 7, 7, 8, 8, 9, 11, 12, 11, 8, 4)


@dataclass
class DemoPost:
    seq: int  # the thread, news or call number
    channel: str  # forum, feed or transcript
    product: str | None
    title: str
    text: str
    author: str  # a handle, or a masked phone number for calls
    published: float  # epoch seconds
    views: int = 0
    comments: int = 0
    growth: float = 0.0  # views gained per second: only the wave draws a crowd
    wave: bool = False
    replies: list[str] = field(default_factory=list)

    def reach(self, now: float) -> tuple[int, int]:
        gained = self.growth * max(0.0, now - self.published)
        return self.views + int(gained), self.comments + int(gained / 20)


@dataclass
class _Planned:
    """A wave post written in advance and released at ``at``."""

    at: float
    channel: str
    title: str
    text: str
    author: str
    index: int  # order in the wave


class DemoWorld:
    def __init__(
        self,
        workdir: Path,
        *,
        seed: int = 7,
        wave_product: str = "anxin-e",
        wave_after: float = 8.0,
        wave_size: int = 24,
        wave_duration: float = 20.0,
        clock: Callable[[], float] = time.time,
    ):
        if wave_size < 0 or wave_after < 0 or wave_duration < 0:
            raise ValueError("wave_size, wave_after and wave_duration must not be negative")
        self.workdir = Path(workdir)
        self.seed = seed
        self.wave_product = wave_product  # the product id, as alerts name it
        self._wave = content.find_product(wave_product)
        self.wave_after = wave_after
        self.wave_size = wave_size
        self.wave_duration = wave_duration
        self._clock = clock
        self._lock = threading.RLock()
        self._posts: list[DemoPost] = []
        self._by_seq: dict[tuple[str, int], DemoPost] = {}
        self._times: dict[str, list[float]] = {p.id: [] for p in PRODUCTS}
        self._last_live: dict[str, float] = {}
        self._next_seq = {"forum": 40000, "feed": 7000, "transcript": 0}
        self._pending: list[_Planned] = []
        self._released = {"forum": 0, "feed": 0, "transcript": 0}
        self._requests: dict[str, int] = {}
        self._live_rng = Random(f"{seed}-live")
        self._t0: float | None = None
        self._next_live = math.inf
        self._server: DemoServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> DemoWorld:
        with self._lock:
            if self._t0 is not None:
                raise RuntimeError("the demo world is already started")
            self._t0 = now = self._clock()
            self.inbox.mkdir(parents=True, exist_ok=True)
            self._seed_history(now)
            self._plan_wave(now + self.wave_after)
            self._next_live = now + LIVE_EVERY
        self._server = DemoServer(self)
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="demo-http", daemon=True),
            threading.Thread(target=self._run_ticker, name="demo-tick", daemon=True),
        ]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []

    def __enter__(self) -> DemoWorld:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run_ticker(self) -> None:
        # Requests tick too; this thread only keeps the inbox filling when nobody is asking.
        while not self._stopping.wait(0.2):
            self.tick()

    # ------------------------------------------------------------ public view

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the demo world first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def inbox(self) -> Path:
        return self.workdir / "inbox"

    @property
    def wave_started(self) -> bool:
        return self._t0 is not None and self.tick() >= self._t0 + self.wave_after

    @property
    def wave_done(self) -> bool:
        with self._lock:
            return self.wave_started and not self._pending

    def stats(self) -> dict[str, Any]:
        """Posts published per source, pages served, and how far the wave has got."""
        with self._lock:
            posts = {"forum": 0, "feed": 0, "transcript": 0}
            for p in self._posts:
                posts[p.channel] += 1
            return {
                "posts": posts,
                "requests": dict(self._requests),
                "wave": {
                    "product": self.wave_product,
                    "size": self.wave_size,
                    "released": sum(self._released.values()),
                    "by_source": dict(self._released),
                    "started": self.wave_started,
                    "done": self.wave_done,
                },
            }

    # ------------------------------------------------------------ the schedule

    def tick(self) -> float:
        """Release everything due by now, in time order; return now."""
        with self._lock:
            now = self._clock()
            if self._t0 is None:
                return now
            while True:
                due_wave = self._pending[0].at if self._pending else math.inf
                at = min(due_wave, self._next_live)
                if at > now:
                    return now
                if due_wave <= self._next_live:
                    self._release(self._pending.pop(0))
                else:
                    self._live_post(at)
                    self._next_live = at + self._live_rng.uniform(0.5, 1.5) * LIVE_EVERY

    def _add(self, post: DemoPost) -> DemoPost:
        self._posts.append(post)
        self._by_seq[(post.channel, post.seq)] = post
        if post.product:
            self._times[post.product].append(post.published)
        if post.channel == "transcript":
            self._write_call(post)
        return post

    def _new_seq(self, channel: str) -> int:
        self._next_seq[channel] += 1
        return self._next_seq[channel]

    def _seed_history(self, now: float) -> None:
        rng = Random(f"{self.seed}-history")
        planned: list[tuple[float, DemoProduct]] = []
        for product in PRODUCTS:
            planned += [(t, product) for t in _history_times(rng, now)]
        planned.sort(key=lambda x: x[0])
        # Two old calls in the inbox show that transcripts are history too.
        calls = {i for i, (t, _) in enumerate(planned) if t < now - 86400}
        calls = set(rng.sample(sorted(calls), k=min(2, len(calls))))
        authors = content.usernames(rng, 60)
        for i, (t, product) in enumerate(planned):
            channel = "transcript" if i in calls else "forum" if rng.random() < 0.65 else "feed"
            self._add(self._background(rng, product, channel, t, rng.choice(authors)))

    def _background(
        self, rng: Random, product: DemoProduct | None, channel: str, t: float, author: str
    ) -> DemoPost:
        if channel == "transcript":
            assert product is not None
            return DemoPost(
                self._new_seq(channel),
                channel,
                product.id,
                "",
                content.background_call(rng, product),
                content.masked_phone(rng),
                t,
            )
        if product is None:
            title, text = content.general_post(rng)
        elif channel == "feed" and rng.random() < 0.4:
            title, text = content.news_post(rng, product)
            author = rng.choice(("本站编辑", "记者 周宁", "记者 林晓"))
        else:
            title, text = content.background_post(rng, product)
        return DemoPost(
            self._new_seq(channel),
            channel,
            product.id if product else None,
            title,
            text,
            author,
            t,
            views=rng.randint(20, 900),
            comments=rng.randint(0, 25),
            replies=content.replies(rng, False),
        )

    def _live_post(self, t: float) -> None:
        rng = self._live_rng
        product: DemoProduct | None = rng.choice(PRODUCTS)
        if product is not None and not self._may_post(product.id, t):
            product = None
        channel = "forum" if rng.random() < 0.65 else "feed"
        author = content.usernames(rng, 1)[0]
        self._add(self._background(rng, product, channel, t, author))
        if product is not None:
            self._last_live[product.id] = t

    def _may_post(self, product: str, t: float) -> bool:
        if t - self._last_live.get(product, -math.inf) < LIVE_GAP:
            return False
        return sum(1 for x in self._times[product] if t - 3600 < x <= t) < HOUR_CAP

    def _plan_wave(self, start: float) -> None:
        rng = Random(f"{self.seed}-wave-{self.wave_product}")
        n = self.wave_size
        # Half on the forum, a quarter each in the feed and on the phone; shuffled so every
        # source fills up over the whole wave.
        n_feed = round(n * 0.25)
        n_call = round(n * 0.25)
        channels = ["feed"] * n_feed + ["transcript"] * n_call + ["forum"] * (n - n_feed - n_call)
        rng.shuffle(channels)
        collective = set(rng.sample(range(n), k=round(n / 3)))
        # About four in five complainants are distinct; the rest post twice.
        distinct = max(1, round(n * 0.8))
        handles = content.usernames(rng, distinct)
        phones = [content.masked_phone(rng) for _ in range(distinct)]
        offsets = sorted(
            [0.0, self.wave_duration] + [rng.uniform(0, self.wave_duration) for _ in range(n - 2)]
        )
        seen: set[str] = set()
        for i in range(n):
            who = i if i < distinct else rng.randrange(distinct)
            claim = rng.random() < 0.6
            for _ in range(50):  # re-roll the rare exact repeat
                if channels[i] == "transcript":
                    title = ""
                    text = content.wave_call(
                        rng, self._wave, claim=claim, collective=i in collective
                    )
                else:
                    title, text = content.wave_post(
                        rng, self._wave, claim=claim, collective=i in collective
                    )
                if text not in seen:
                    break
            seen.add(text)
            author = phones[who] if channels[i] == "transcript" else handles[who]
            self._pending.append(_Planned(start + offsets[i], channels[i], title, text, author, i))

    def _release(self, plan: _Planned) -> None:
        rng = Random(f"{self.seed}-reach-{plan.index}")
        # Later posts ride on the earlier ones' attention, so reach snowballs through the wave.
        self._add(
            DemoPost(
                self._new_seq(plan.channel),
                plan.channel,
                self.wave_product,
                plan.title,
                plan.text,
                plan.author,
                plan.at,
                views=60 + 40 * plan.index + rng.randint(0, 80),
                comments=rng.randint(3, 12) + plan.index,
                growth=rng.uniform(2.0, 8.0),
                wave=True,
                replies=content.replies(rng, True),
            )
        )
        self._released[plan.channel] += 1

    # ------------------------------------------------------------ the inbox

    def _write_call(self, post: DemoPost) -> None:
        rng = Random(f"{self.seed}-call-{post.seq}")
        when = datetime.fromtimestamp(post.published, render.TZ)
        stem = f"call-{when:%Y%m%d-%H%M%S}-{post.seq:04d}"
        agent = content.agent_name(rng)
        # A mix of what call-centre exports look like: JSON lines in UTF-8, plain text in GBK.
        if post.seq % 2:
            record = {
                "id": f"C{when:%Y%m%d}{post.seq:05d}",
                "caller": post.author,
                "time": when.isoformat(timespec="seconds"),
                "agent": agent,
                "text": post.text,
            }
            name, data = f"{stem}.jsonl", (json.dumps(record, ensure_ascii=False) + "\n").encode()
        else:
            # A .txt export is the dialogue alone; readers take the call's time from the mtime.
            name, data = f"{stem}.txt", (post.text + "\n").encode("gbk")
        _atomic_write(self.inbox / name, data, post.published)

    # ------------------------------------------------------------ what the server shows

    def count(self, route: str) -> None:
        """Note a page served, for stats(): the demo shows the daemon at work."""
        with self._lock:
            self._requests[route] = self._requests.get(route, 0) + 1

    def listing(self, channel: str) -> list[DemoPost]:
        """Released posts of a channel, newest first."""
        with self._lock:
            self.tick()
            posts = [p for p in self._posts if p.channel == channel]
        return sorted(posts, key=lambda p: (p.published, p.seq), reverse=True)

    def find(self, channel: str, seq: int) -> DemoPost | None:
        with self._lock:
            self.tick()
            return self._by_seq.get((channel, seq))

    def now(self) -> float:
        """The world's time: reach counts grow with it."""
        return self._clock()


def _history_times(rng: Random, now: float) -> list[float]:
    """About 2-4 posts a day over the past week, mostly in waking hours, none too recent."""
    today = datetime.fromtimestamp(now, render.TZ).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    times = []
    for d in range(7, -1, -1):
        day = today - timedelta(days=d)
        for _ in range(rng.randint(2, 4)):
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            t = (
                day + timedelta(hours=hour, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
            ).timestamp()
            if now - 7 * 86400 + 3600 < t < now - 300:
                times.append(t)
    # Chance could put three posts in the last hours; move the extras back so nothing near
    # "now" looks like the start of a burst.
    times.sort(reverse=True)
    recent = [t for t in times if t > now - 3 * 3600]
    for t in recent[HOUR_CAP:]:
        times[times.index(t)] = t - 6 * 3600
    return times


def _atomic_write(path: Path, data: bytes, mtime: float) -> None:
    """Write under a hidden name, then rename: the inbox never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    # The file's age is the call's age, for readers that go by modification time.
    os.utime(tmp, (mtime, mtime))
    os.replace(tmp, path)
