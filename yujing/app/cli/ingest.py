"""``yujing ingest FILE...``: transcript files stored once (``ops.ingest``); the daemon detects
on them at its next look."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import config_arg, load_or_exit, positive_int, setup

__all__ = ["register"]


def cmd_ingest(args: argparse.Namespace) -> int:
    _, config = load_or_exit(args.config)
    setup(args.verbose, config)
    # The understanding stack (models, MinHash) loads for this command only: the others start
    # in a fraction of a second.
    from ..ops.ingest import ingest

    done = ingest(config, [Path(p) for p in args.files], source=args.source, jobs=args.jobs)
    result = done.result
    print(
        f"ingested {result.files} file(s): {result.posts} transcripts, {result.accepted} new, "
        f"{result.posts - result.accepted} already known"
    )
    for problem in done.problems:
        print(f"error: {problem}", file=sys.stderr)
    return 0 if done.complete else 1


def register(sub: Any) -> None:
    p = sub.add_parser("ingest", help="ingest transcript files once (JSONL, CSV, TXT)")
    config_arg(p)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--source",
        default=None,
        help="source name recorded on the posts (default: the config's transcripts source, "
        "if it has exactly one, else 'ingest')",
    )
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=None,
        metavar="N",
        help="run on N processes: this one stores the posts, N-1 workers understand them "
        "(default: the CPUs it may use; 1: all in this one). Workers start only after the "
        "first 5,000 calls.",
    )
    p.set_defaults(func=cmd_ingest)
