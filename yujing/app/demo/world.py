"""A small simulated world for ``yujing demo``: a forum, a feed and a transcript drop folder.

It starts with a week of ordinary chatter about five made-up products, keeps posting while it
runs, and after ``wave_after`` seconds releases a wave of complaints about one product. The real
daemon crawls it over HTTP and should warn about that product and no other.

Everything happens on a schedule computed from ``clock``: ``tick()`` releases whatever is due, so a
test with a fake clock sees exactly what a live run would, without sleeping.

This module is the world itself: its lifecycle, the schedule and what the server shows. What it
publishes is made elsewhere: the record in ``posts``, the ordinary chatter and the week of history
in ``chatter``, the wave in ``wave``, the call files in the inbox in ``calls``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from random import Random
from types import TracebackType
from typing import Any

from . import content
from .calls import write_call
from .chatter import HOUR_CAP, background_post, history
from .content import PRODUCTS, DemoProduct
from .posts import DemoPost
from .server import DemoServer
from .wave import Planned, plan_wave, wave_post

__all__ = ["DemoWorld", "DemoPost"]

LIVE_EVERY = 4.0  # seconds between live background posts, on average
# Live posts are stamped "now", so in a demo of a minute or two they pile into the current hour.
# Capping each product keeps that hour ordinary: at most one live post per product per ten
# minutes, and never a third post in any hour (HOUR_CAP). The rest of the chatter names no product.
LIVE_GAP = 600.0


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
        self._pending: list[Planned] = []
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
            for post in history(self.seed, now, self._new_seq):
                self._add(post)
            self._pending.extend(
                plan_wave(
                    self.seed,
                    self.wave_product,
                    self._wave,
                    self.wave_size,
                    self.wave_duration,
                    now + self.wave_after,
                )
            )
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
            write_call(self.inbox, self.seed, post)
        return post

    def _new_seq(self, channel: str) -> int:
        self._next_seq[channel] += 1
        return self._next_seq[channel]

    def _live_post(self, t: float) -> None:
        rng = self._live_rng
        product: DemoProduct | None = rng.choice(PRODUCTS)
        if product is not None and not self._may_post(product.id, t):
            product = None
        channel = "forum" if rng.random() < 0.65 else "feed"
        author = content.usernames(rng, 1)[0]
        self._add(background_post(rng, self._new_seq(channel), product, channel, t, author))
        if product is not None:
            self._last_live[product.id] = t

    def _may_post(self, product: str, t: float) -> bool:
        if t - self._last_live.get(product, -math.inf) < LIVE_GAP:
            return False
        return sum(1 for x in self._times[product] if t - 3600 < x <= t) < HOUR_CAP

    def _release(self, plan: Planned) -> None:
        self._add(wave_post(self.seed, plan, self._new_seq(plan.channel), self.wave_product))
        self._released[plan.channel] += 1

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
