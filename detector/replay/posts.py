"""Posts through the daemon's clock: ``replay_posts`` (a JSON-lines file of posts, each as if it
came when it was published) and ``PostReplay`` (the clock itself, which ``replay_store`` feeds in
the order the posts came).

Posts are identified as the daemon does (``identity``): a post id seen before, or the same post
seen through another channel, counts once; copies from other accounts count as posts and people,
in their copy group (a line's own ``text_id`` is kept when it has one). A line that carries
``products`` (and maybe ``categories``, ``sentiment``, ``collective``) is taken as tagged;
otherwise the Understander tags it from the configured products, as the daemon does.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter, OrderedDict
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from yujing.config import Config
from yujing.records import Post, ScoredPost, format_time

from ..burst import detector_for
from ..identity import Identity
from ..normalize import normalize
from .common import (
    DRAIN_WINDOWS,
    Emit,
    Events,
    ReplayInputError,
    Say,
    ceil_to,
    logged,
    longest_window,
    parse_local_time,
)

__all__ = ["PostReplay", "replay_posts"]

SEEN_MEMORY = 200_000  # recent post ids kept; an id seen again after that is rare and harmless


# ---------------------------------------------------------------- posts


def _scored(d: dict[str, Any], post: Post) -> ScoredPost:
    title, text = normalize(post.title), normalize(post.text)
    return ScoredPost(
        post=post.with_text(title, text),
        products=tuple(d["products"]),
        categories=tuple(d.get("categories") or ()),
        sentiment=float(d.get("sentiment", 0.5)),
        collective=bool(d.get("collective", False)),
        text_id=d.get("text_id"),
    )


def _decode(path: Path) -> str:
    """UTF-8 (with or without a BOM), else GBK, as Chinese exports come; else say so."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8 = exc
    try:
        return data.decode("gbk")
    except UnicodeDecodeError:
        raise ReplayInputError(
            f"{path}: neither UTF-8 nor GBK text (byte {utf8.start} is not UTF-8); save it as UTF-8"
        ) from None


def _zoned(d: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """The record with its times written without a zone put in ``tz`` (the config's zone)."""
    for key in ("published_at", "fetched_at"):
        value = d.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # Post.from_dict names a bad time
                d[key] = parse_local_time(value, tz).isoformat()
    return d


def _read_posts(
    path: Path, tally: Counter[str], tz: tzinfo, say: Say
) -> list[tuple[Post, dict[str, Any]]]:
    """The file's posts in time order, whatever order its lines are in (an export grouped by
    source, or newest first): replayed as they happened. A refused line is named to ``say``."""
    posts = []
    for lineno, line in enumerate(_decode(path).splitlines(), 1):
        if not line.strip():
            continue
        tally["lines"] += 1
        try:
            d = json.loads(line)
            if not isinstance(d, dict):
                raise ValueError("not a JSON object")
            post = Post.from_dict(_zoned(d, tz))  # the fields a post needs, checked here
        except (KeyError, TypeError, ValueError) as exc:
            tally["refused"] += 1
            why = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            say(f"{path}:{lineno}: skipped: {why}")
            continue
        posts.append((post, d))
    posts.sort(key=lambda pd: pd[0].published_at)  # stable: lines of one time keep their order
    return posts


class PostReplay:
    """The daemon's clock over posts fed in the order they arrived.

    ``feed(arrived, scored)`` first runs the clock up to ``arrived`` (evaluating every
    ``detection.evaluate_every``, as the daemon does), then counts the post where it is dated, as
    the daemon counts a post once it is committed. A post fed long after its date is late here
    as it was there: learned as history, not alerted (the detector says so). ``finish`` runs the
    clock on until open waves resolve.
    """

    def __init__(self, config: Config, emit: Emit):
        self.detector = detector_for(config, None)
        self.events = Events(emit, format_time)
        self.every = config.detection.evaluate_every
        self.horizon = DRAIN_WINDOWS * longest_window(config.detection)
        rules = [config.detection.burst, *map(config.detection.rule_for, config.detection.products)]
        self.quiet_step = ceil_to(min(r.bucket for r in rules), self.every)
        self.touched: set[str] = set()
        self.next_tick: float | None = None
        self.last = 0.0

    def _tick(self, now: float) -> None:
        products = self.touched | {a.product for a in self.events.firing.values()}
        self.touched.clear()
        alerts = self.detector.evaluate(sorted(products), datetime.fromtimestamp(now, UTC))
        self.events.handle(alerts)

    def _run_until(self, ts: float) -> None:
        if self.next_tick is None:
            self.next_tick = ceil_to(ts, self.every)
        # A post that comes at a tick is counted in that tick's look, as a source's run
        # commits its posts before the daemon looks.
        while self.next_tick < ts:
            if not (self.touched or self.events.firing):
                if not self.detector.by_product:  # nothing to look at: jump the clock
                    self.next_tick = max(self.next_tick + self.every, ceil_to(ts, self.every))
                    continue
                # Nothing new, yet the daemon looks at every product at every tick, which moves
                # each series' clock on bucket by bucket (what it learns from its quiet buckets
                # depends on it, and a late post finds the clock where the daemon's was). Once
                # a bucket does the same to the series.
                aligned = ceil_to(self.next_tick, self.quiet_step)
                if aligned >= ts:  # the next look is the first after what comes at ``ts``
                    self.next_tick = max(self.next_tick, ceil_to(ts, self.every))
                    break
                self.next_tick = aligned
                self.touched.update(self.detector.by_product)
            self._tick(self.next_tick)
            self.next_tick += self.every

    def feed(self, arrived: float, scored: ScoredPost) -> None:
        self._run_until(arrived)
        self.detector.observe(scored)
        self.touched.update(scored.products)
        self.last = max(self.last, arrived)

    def finish(self) -> int:
        """Run the clock on after the last post; the alert events emitted."""
        if self.next_tick is not None:
            self._run_until(self.last + self.every)
            end = self.last + self.horizon
            while self.events.firing and self.next_tick <= end:
                self._tick(self.next_tick)
                self.next_tick += self.every
        return self.events.count


def replay_posts(config: Config, path: Path, emit: Emit, say: Say = logged) -> int:
    """Replay one post per line, each as if it arrived when it was published; raises
    ``ReplayInputError`` when every line was refused (each named to ``say``)."""
    tally: Counter[str] = Counter()
    replay = PostReplay(config, emit)
    understander = None
    identity = Identity()
    seen: OrderedDict[str, None] = OrderedDict()
    for post, d in _read_posts(path, tally, config.tz, say):
        if post.id in seen:
            continue
        seen[post.id] = None
        if len(seen) > SEEN_MEMORY:
            seen.popitem(last=False)
        if d.get("products") is not None:
            scored = _scored(d, post)
        else:
            if understander is None:
                # Only when a line is untagged: models load for replays that need them.
                from ..understand import understander_for

                understander = understander_for(config)
            scored = understander.understand(post)
        verdict = identity.classify(scored)
        if verdict.same_as is not None:
            # Counted already, through the other channel (the daemon links it to that post).
            identity.linked(verdict.same_as, post)
            continue
        scored = replace(scored, text_id=scored.text_id or verdict.text_id)
        identity.remember(scored, verdict.sketch)
        replay.feed(post.published_at.timestamp(), scored)
    if tally["lines"] and tally["lines"] == tally["refused"]:
        raise ReplayInputError(f"{path}: every one of {tally['lines']} line(s) was refused")
    return replay.finish()
