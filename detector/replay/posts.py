"""``yujing replay``: the detector run offline over history, one JSON line per alert event.

Two inputs:

* ``--posts FILE.jsonl``: one ``Post.to_dict()`` per line, in any order (replayed in time
  order; times without a zone are in the config's ``timezone``). A line that carries
  ``products`` (and maybe ``categories``, ``sentiment``, ``collective``) is taken as tagged;
  otherwise the Understander tags it from the configured products, as the daemon does. Posts
  are identified as the daemon does (``identity``): a post id seen before, or the same post
  seen through another channel, counts once; copies from other accounts count as posts and
  people, in their copy group (a line's own ``text_id`` is kept when it has one).
* ``--counts FILE.csv``: ``timestamp,value`` (one series named after the file) or
  ``timestamp,product,value``, with or without a header, oldest first. The bucket size is the
  most common step between timestamps; the window is at least one bucket. Real exports are not
  all clean counts, so each product's rows are first read for what they are:

  - fractional values are a measurement (CPU percent, a price): rounding 0.13 to 0 would erase
    the series, so it is scaled to whole units by a power of ten (``measurement_scale``); the
    verdicts do not depend on the unit (the test learns the series' own spread);
  - a regular series (a row for almost every bucket, or zeros written out) lists every bucket it
    has, so a missing row is a gap in the data, not a zero (``regular``): the detector is told
    (``observe_gap``) and learns nothing from it, and a repeated timestamp (a clock going back)
    is one reading, not two to add up;
  - a sparse export (rows only where something was counted, as ``GROUP BY hour`` gives for a
    quiet product) leaves zeros out: there a missing row is a zero, as before.

Both feed the same ``BurstDetector`` the daemon uses, through ``observe``/``observe_count`` and
``evaluate``. Posts are evaluated every ``detection.evaluate_every`` of their own time, like the
daemon's clock (``PostReplay``: while nothing new comes, once a bucket, which moves every series on
as the daemon's looks do); counts after each bucket. ``--posts`` replays each post as if it came
when it was published; ``--store`` as it came (``replay_store``). After the input ends, time runs on until open waves
resolve. Nothing is stored: the detector gets no store, so the daemon's database is never
touched. Stdout carries only the alert lines; logs and bad-line warnings go to stderr.

Each line is the event as the daemon journals it (``Alert.to_dict()`` plus ``event``) plus
``fired_at``: when the wave fired, in the input's own timestamp format (for counts, the
timestamp of the bucket that made it fire).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sys
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TextIO

from yujing.alerts import Alert
from yujing.config import Config, Detection
from yujing.records import Post, ScoredPost, format_time

from ..burst import detector_for
from ..identity import Identity
from ..lifecycle import Lifecycle
from ..normalize import normalize

__all__ = ["PostReplay", "replay_main", "replay_posts"]

log = logging.getLogger("yujing.replay")

SEEN_MEMORY = 200_000  # recent post ids kept; an id seen again after that is rare and harmless
MEASURE_DIGITS = 4  # significant digits kept of a fractional series (see measurement_scale)
DRAIN_WINDOWS = 6  # after the input, run the clock on this many windows for waves to resolve


def replay_main(
    config: Config,
    posts: Path | None = None,
    counts: Path | None = None,
    out: TextIO = sys.stdout,
    *,
    store: Path | None = None,
    since: float | None = None,
    as_published: bool = False,
) -> int:
    if sum(x is not None for x in (posts, counts, store)) != 1:
        print("replay needs exactly one of --posts, --counts or --store", file=sys.stderr)
        return 2
    path = posts or counts or store
    assert path is not None
    if not path.exists():
        print(f"{path}: no such file", file=sys.stderr)
        return 1

    def emit(event: dict[str, Any]) -> None:
        out.write(json.dumps(event, ensure_ascii=False) + "\n")
        out.flush()

    # Libraries that print (model loading, ...) must not mix with the alert lines.
    try:
        with contextlib.redirect_stdout(sys.stderr):
            n = _replay(config, posts, counts, store, since, emit, as_published)
    except ReplayInputError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 1
    print(f"replay: {n} alert event(s)", file=sys.stderr)
    return 0


def _replay(
    config: Config,
    posts: Path | None,
    counts: Path | None,
    store: Path | None,
    since: float | None,
    emit: Callable[[dict[str, Any]], None],
    as_published: bool = False,
) -> int:
    """Alert events emitted; ``ReplayInputError`` when there was nothing to replay."""
    if store is not None:
        from .store import replay_store

        seen, n = replay_store(config, store, since, emit, as_published=as_published)
        if not seen:
            raise ReplayInputError(f"{store}: no stored posts in the period asked for")
        print(f"replay: {seen} stored post(s) under the new config", file=sys.stderr)
        return n
    if posts is not None:
        return replay_posts(config, posts, emit)
    from .counts import replay_counts

    assert counts is not None
    return replay_counts(config, counts, emit)


# ---------------------------------------------------------------- shared


class _Events:
    """Names events through the daemon's lifecycle, so output matches what the daemon sends."""

    def __init__(self, emit: Callable[[dict[str, Any]], None], fmt: Callable[[datetime], str]):
        self.emit, self.fmt = emit, fmt
        self.lifecycle = Lifecycle()
        self.count = 0

    @property
    def firing(self) -> dict[str, Alert]:
        return self.lifecycle.firing

    def handle(self, alerts: list[Alert], fired_shift: timedelta = timedelta(0)) -> None:
        changes = self.lifecycle.name(alerts)
        self.lifecycle.apply(changes)
        for e in (c.event for c in changes if c.event is not None):
            line = e.to_dict()
            line["fired_at"] = self.fmt(e.alert.started_at - fired_shift)
            self.emit(line)
            self.count += 1


def _ceil(ts: float, step: float) -> float:
    return math.ceil(ts / step) * step


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


class ReplayInputError(Exception):
    """The input held nothing that could be replayed: every line or row was refused."""


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
    from .counts import parse_local_time

    for key in ("published_at", "fetched_at"):
        value = d.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # Post.from_dict names a bad time
                d[key] = parse_local_time(value, tz).isoformat()
    return d


def _read_posts(path: Path, tally: Counter[str], tz: tzinfo) -> list[tuple[Post, dict[str, Any]]]:
    """The file's posts in time order, whatever order its lines are in (an export grouped by
    source, or newest first): replayed as they happened. A refused line is named on stderr."""
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
            print(f"{path}:{lineno}: skipped: {why}", file=sys.stderr)
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

    def __init__(self, config: Config, emit: Callable[[dict[str, Any]], None]):
        self.detector = detector_for(config, None)
        self.events = _Events(emit, format_time)
        self.every = config.detection.evaluate_every
        self.horizon = DRAIN_WINDOWS * _longest_window(config.detection)
        rules = [config.detection.burst, *map(config.detection.rule_for, config.detection.products)]
        self.quiet_step = _ceil(min(r.bucket for r in rules), self.every)
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
            self.next_tick = _ceil(ts, self.every)
        # A post that comes at a tick is counted in that tick's look, as a source's run
        # commits its posts before the daemon looks.
        while self.next_tick < ts:
            if not (self.touched or self.events.firing):
                if not self.detector.by_product:  # nothing to look at: jump the clock
                    self.next_tick = max(self.next_tick + self.every, _ceil(ts, self.every))
                    continue
                # Nothing new, yet the daemon looks at every product at every tick, which moves
                # each series' clock on bucket by bucket (what it learns from its quiet buckets
                # depends on it, and a late post finds the clock where the daemon's was). Once
                # a bucket does the same to the series.
                aligned = _ceil(self.next_tick, self.quiet_step)
                if aligned >= ts:  # the next look is the first after what comes at ``ts``
                    self.next_tick = max(self.next_tick, _ceil(ts, self.every))
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


def replay_posts(config: Config, path: Path, emit: Callable[[dict[str, Any]], None]) -> int:
    """Replay one post per line, each as if it arrived when it was published; raises
    ``ReplayInputError`` when every line was refused."""
    tally: Counter[str] = Counter()
    replay = PostReplay(config, emit)
    understander = None
    identity = Identity()
    seen: OrderedDict[str, None] = OrderedDict()
    for post, d in _read_posts(path, tally, config.tz):
        if post.id in seen:
            continue
        seen[post.id] = None
        if len(seen) > SEEN_MEMORY:
            seen.popitem(last=False)
        if d.get("products") is not None:
            scored = _scored(d, post)
        else:
            if understander is None:
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


def _longest_window(detection: Detection) -> float:
    rules = [detection.burst] + [detection.rule_for(p) for p in detection.products]
    return max(r.window for r in rules)
