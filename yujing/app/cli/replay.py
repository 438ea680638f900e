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
daemon's clock (``detector.replay.PostReplay``: while nothing new comes, once a bucket, which
moves every series on as the daemon's looks do); counts after each bucket. ``--posts`` replays
each post as if it came when it was published; ``--store`` as it came (``detector.replay.store``).
After the input ends, time runs on until open waves resolve. Nothing is stored: the detector gets
no store, so the daemon's database is never touched. Stdout carries only the alert lines; logs
and bad-line warnings go to stderr (the replay package tells them to ``say``, printed here).

Each line is the event as the daemon journals it (``Alert.to_dict()`` plus ``event``) plus
``fired_at``: when the wave fired, in the input's own timestamp format (for counts, the
timestamp of the bucket that made it fire).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from yujing.config import Config

from .common import config_arg, duration_arg, load_or_exit

__all__ = ["register", "replay_main"]


def cmd_replay(args: argparse.Namespace) -> int:
    # stdout carries only alert lines, so a bad config is reported on stderr like everywhere else.
    _, config = load_or_exit(args.config)
    store = None
    if args.store is not None:
        store = config.storage.path if args.store is True else Path(args.store)
    return replay_main(
        config,
        posts=args.posts,
        counts=args.counts,
        store=store,
        since=args.since,
        out=sys.stdout,
        as_published=args.as_published,
    )


def _said(line: str) -> None:
    print(line, file=sys.stderr)


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

    # The detector and the understanding stack load for this command only: the others start
    # in a fraction of a second.
    from yujing.detector.replay import ReplayInputError

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
    from yujing.detector.replay import ReplayInputError, replay_counts, replay_posts, replay_store

    if store is not None:
        done = replay_store(config, store, since, emit, as_published=as_published, say=_said)
        if not done.posts:
            raise ReplayInputError(f"{store}: no stored posts in the period asked for")
        # What the changed config does to the alerts people judged, one line per rule.
        for line in done.verdicts.lines() if done.verdicts is not None else ():
            print(f"replay: {line}", file=sys.stderr)
        print(f"replay: {done.posts} stored post(s) under the new config", file=sys.stderr)
        return done.events
    if posts is not None:
        return replay_posts(config, posts, emit, say=_said)
    assert counts is not None
    return replay_counts(config, counts, emit, say=_said)


def register(sub: Any) -> None:
    p = sub.add_parser("replay", help="run the detector offline over history; alert JSON lines out")
    config_arg(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--posts", type=Path, help="posts as JSON lines (Post records)")
    what.add_argument("--counts", type=Path, help="CSV: timestamp,value or timestamp,product,value")
    what.add_argument(
        "--store",
        nargs="?",
        const=True,
        metavar="DB",
        help="the posts a store holds (default: the config's storage.path), understood again "
        "under this config: what it would have raised",
    )
    p.add_argument(
        "--since",
        type=duration_arg,
        default=30 * 86400.0,
        metavar="DURATION",
        help="with --store: how far back, e.g. 30d, 12h (default 30d)",
    )
    p.add_argument(
        "--as-published",
        action="store_true",
        help="with --store: each post as if it had arrived when published (history ingested "
        "in bulk); by default posts count when they arrived, as the daemon counted them",
    )
    p.set_defaults(func=cmd_replay)
