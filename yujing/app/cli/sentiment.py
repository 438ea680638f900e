"""``yujing sentiment``: score one text per line of stdin (any of the encodings exports use)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yujing.crawlers.decoding import UndecodableError, iter_lines
from yujing.detector.sentiment import sentiment_main

__all__ = ["register"]


def cmd_sentiment(args: argparse.Namespace) -> int:
    # Bytes, not sys.stdin's text: a GBK or Big5 export piped in must be read as what it is
    # (the locale's UTF-8 would turn it into escapes that score a neutral 0.5, silently).
    lines = iter_lines(
        sys.stdin.buffer,
        where="stdin",
        declared=[args.encoding],
        max_line_chars=args.max_line_chars,
    )
    try:
        return sentiment_main((line for _, line in lines), sys.stdout)
    except UndecodableError as exc:
        sys.stdout.flush()  # the lines before it were scored; the error says where it stopped
        print(f"error: {exc}", file=sys.stderr)
        if exc.line is None:
            print("  name the encoding with --encoding, e.g. --encoding gbk", file=sys.stderr)
        return 1


def register(sub: Any) -> None:
    p = sub.add_parser("sentiment", help="score one text per stdin line; JSON lines out")
    p.add_argument(
        "--encoding",
        default=None,
        help="the input's encoding, e.g. gbk (default: UTF-8, GBK/GB18030, Big5 or UTF-16, "
        "told from the text; what cannot be told is an error)",
    )
    p.add_argument(
        "--max-line-chars",
        type=int,
        default=1_000_000,
        metavar="N",
        help="refuse a line longer than this (default 1000000)",
    )
    p.set_defaults(func=cmd_sentiment)
