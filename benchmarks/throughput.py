"""Posts per second through understand + detect, and memory as the stream grows.

    python benchmarks/throughput.py                 # 1,000,000 posts
    python benchmarks/throughput.py --posts 200000  # quicker

The stream is what the daemon's detector sees: realistic Chinese posts (30-300 characters) about
several products, background chatter for weeks with complaint waves in it, each post made unique
so no cache helps. Every post goes through the Understander (normalise, redact, tag products and
categories, sentiment, collective language), the Identity (copy detection: a MinHash sketch
looked up in the bounded LSH index of recent texts; the same post through another channel) and
the BurstDetector (observe; evaluate every ten minutes of stream time). Making the posts is not
timed.

Printed beside it, in the same run: raw ``SnowNLP(text).sentiments`` on a sample of the same
posts (the baseline the sentiment stage replaced), and resident memory at checkpoints: it must
stay flat as the stream grows, since nothing in the detector may grow per post.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from yujing.app.demo.content import (
    PRODUCTS,
    background_post,
    general_post,
    news_post,
    wave_post,
)
from yujing.config import load_config
from yujing.detector.burst import detector_for
from yujing.detector.identity import Identity
from yujing.detector.understand import understander_for
from yujing.records import Post, Reach, hash_author, post_id

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 10_000
_FILLERS = (
    "补充一下情况。",
    "有同样经历的朋友可以留言。",
    "客服电话打了好几次都没人接。",
    "材料我都按要求准备齐了，医院的发票、诊断证明、病历全部复印了一份。",
    "希望有关部门能重视这个问题，给我们一个说法。",
    "身边好几个朋友也买了，现在都很担心。",
)


def make_posts(rng: Random, start_index: int, count: int, step: timedelta) -> list[Post]:
    """``count`` posts, index ``start_index`` onwards, ``step`` apart from START."""
    posts = []
    for i in range(start_index, start_index + count):
        product = PRODUCTS[i % len(PRODUCTS)]
        roll = rng.random()
        in_wave = (i // 50_000) % 7 == 3 and product is PRODUCTS[0]  # a wave now and then
        if in_wave:
            title, text = wave_post(rng, product, claim=roll < 0.6, collective=rng.random() < 0.3)
        elif roll < 0.6:
            title, text = background_post(rng, product)
        elif roll < 0.8:
            title, text = news_post(rng, product)
        else:
            title, text = general_post(rng)
        # Real posts are rarely identical: a unique detail, and lengths from 30 to 300.
        text = f"{text}（编号{i}）"
        while len(text) < rng.choice((30, 60, 120, 200, 280)):
            text += rng.choice(_FILLERS)
        source = ("forum", "feed", "weibo", "hotline")[i % 4]
        published = START + step * i
        posts.append(
            Post(
                source=source,
                url=f"https://example.invalid/{source}/{i}",
                id=post_id(source, str(i)),
                author=hash_author(f"user{rng.randrange(200_000)}", "bench-salt"),
                title=title,
                text=text[:300],
                published_at=published,
                fetched_at=published,
                reach=Reach(views=rng.randrange(5000), comments=rng.randrange(50)),
            )
        )
    return posts


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def raw_snownlp_rate(posts: list[Post]) -> float:
    from snownlp import SnowNLP

    start = time.perf_counter()
    for p in posts:
        _ = SnowNLP(f"{p.title} {p.text}").sentiments
    return len(posts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--snownlp-sample", type=int, default=300)
    parser.add_argument("--days", type=float, default=60.0, help="stream time the posts span")
    args = parser.parse_args()

    config = load_config(ROOT / "config" / "demo.yaml")
    understander = understander_for(config)
    detector = detector_for(config, None)
    identity = Identity()
    rng = Random(42)
    evaluate_every = timedelta(minutes=10)
    next_eval = START + evaluate_every
    product_ids = [p.id for p in config.products]

    print(f"understand + identify + detect over {args.posts:,} posts ({args.days:g} days)")
    print(
        f"{'posts':>10} {'understand/s':>13} {'identify/s':>11} {'detect/s':>10} {'all/s':>8} "
        f"{'RSS MB':>8} {'alert events':>13}"
    )
    t_understand = t_identify = t_detect = 0.0
    done = 0
    alerts = 0
    linked = copies = 0
    rss_at: dict[int, float] = {}
    sample: list[Post] = []
    step = timedelta(days=args.days) / args.posts
    while done < args.posts:
        n = min(CHUNK, args.posts - done)
        posts = make_posts(rng, done, n, step)
        if len(sample) < args.snownlp_sample:
            sample.extend(posts[: args.snownlp_sample - len(sample)])
        start = time.perf_counter()
        scored = [understander.understand(post) for post in posts]
        middle = time.perf_counter()
        kept = []
        for sp in scored:
            verdict = identity.classify(sp)
            if verdict.same_as is not None:
                identity.linked(verdict.same_as, sp.post)
                linked += 1
                continue
            copies += verdict.text_id != sp.post.id
            sp = replace(sp, text_id=verdict.text_id)
            identity.remember(sp, verdict.sketch)
            kept.append(sp)
        identified = time.perf_counter()
        for sp in kept:
            detector.observe(sp)
            if sp.post.published_at >= next_eval:
                alerts += len(detector.evaluate(product_ids, next_eval))
                next_eval += evaluate_every
        t_understand += middle - start
        t_identify += identified - middle
        t_detect += time.perf_counter() - identified
        done += n
        if done % 100_000 == 0 or done == args.posts:
            gc.collect()
            rss_at[done] = rss_mb()
            total = t_understand + t_identify + t_detect
            print(
                f"{done:>10,} {done / t_understand:>13,.0f} {done / t_identify:>11,.0f} "
                f"{done / t_detect:>10,.0f} {done / total:>8,.0f} {rss_at[done]:>8.1f} "
                f"{alerts:>13}"
            )

    # Before the baseline runs: loading raw snownlp's own model would count against us.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    raw = raw_snownlp_rate(sample)
    first, last = rss_at[min(rss_at)], rss_at[max(rss_at)]
    print()
    print(f"{'posts/s on one core':40}{'':>10}")
    print(f"{'yujing understand stage':40}{done / t_understand:>10,.0f}   target >= 5,000")
    print(f"{'yujing identify stage (copies)':40}{done / t_identify:>10,.0f}")
    print(f"{'yujing detect stage':40}{done / t_detect:>10,.0f}")
    print(f"{'yujing understand + detect':40}{done / (t_understand + t_detect):>10,.0f}")
    total = t_understand + t_identify + t_detect
    print(f"{'yujing understand + identify + detect':40}{done / total:>10,.0f}")
    print(
        f"copies: {copies:,} posts joined an earlier text's group; {linked:,} were the same "
        f"post through another channel; {len(identity.index):,} texts remembered"
    )
    print(
        f"{'raw SnowNLP(text).sentiments alone':40}{raw:>10,.0f}   ({len(sample)} of the same posts)"
    )
    print(
        f"memory: {first:.1f} MB after {min(rss_at):,} posts, {last:.1f} MB after "
        f"{max(rss_at):,} (growth {last - first:+.1f} MB); peak RSS {peak:.1f} MB"
    )


if __name__ == "__main__":
    main()
