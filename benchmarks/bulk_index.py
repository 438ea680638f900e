"""Documents per second bulk-indexed into the local Elasticsearch stand-in, two ways, same run.

    python benchmarks/bulk_index.py                  # 20,000 posts
    python benchmarks/bulk_index.py --posts 50000 --batch 1000

Both read the same stored posts and send the same documents (Chinese posts with names, the
sentiment label, reach; month indices) to a fresh stand-in (tests/support/testkit/fakes) over
127.0.0.1 through the official client:

* yujing's indexer: ``PostIndexer.index_pending`` in a loop, as the daemon runs it: a batch read
  from the store, one ``_bulk`` per batch, per-item errors sorted into "send again" and "skip",
  the durable cursor moved after each batch;
* the baseline: every post read and built at once, then ``elasticsearch.helpers.bulk`` with its
  defaults (chunks of 500 actions or 100 MB, errors raised).

The stand-in is a Python HTTP server, so the absolute figures measure it as much as the client;
the two lines are comparable because they share it. Making the posts is not timed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))  # the stand-in lives with the tests

from elasticsearch.helpers import bulk  # noqa: E402

from testkit.fakes.elasticsearch import FakeElasticsearch  # noqa: E402
from yujing.app.demo.content import PRODUCTS, background_post, wave_post  # noqa: E402
from yujing.config import Elasticsearch as EsConfig  # noqa: E402
from yujing.notifier.elastic import PostDoc, PostIndexer, make_client, posts_index  # noqa: E402
from yujing.records import Post, Reach, ScoredPost, hash_author, post_id  # noqa: E402
from yujing.store import Store  # noqa: E402

START = datetime(2026, 9, 1, tzinfo=UTC)
PREFIX = "bench"


def fill(store: Store, count: int, seed: int = 7) -> dict[str, str]:
    """``count`` posts over three months into ``store``; returns id -> name for products."""
    rng = Random(seed)
    for i in range(count):
        product = PRODUCTS[i % len(PRODUCTS)]
        if rng.random() < 0.3:
            title, text = wave_post(rng, product, claim=True, collective=rng.random() < 0.3)
        else:
            title, text = background_post(rng, product)
        at = START + timedelta(minutes=13 * i % (90 * 24 * 60))
        post = Post(
            source=("forum", "feed", "weibo", "hotline")[i % 4],
            url=f"https://bbs.example.cn/t/{i}",
            id=post_id("forum", str(i)),
            author=hash_author(f"user{rng.randrange(5000)}", "bench-salt"),
            title=title,
            text=f"{text}（编号{i}）",
            published_at=at,
            fetched_at=at,
            reach=Reach(views=rng.randrange(10_000), comments=rng.randrange(100)),
        )
        scored = ScoredPost(post, (product.id,), ("claims",), rng.random(), rng.random() < 0.1)
        store.posts.accept(scored)
    return {p.id: p.name for p in PRODUCTS} | {"claims": "理赔难/拒赔"}


def ours(store: Store, names: dict[str, str], batch: int) -> tuple[float, int]:
    with FakeElasticsearch() as es:
        client = make_client(EsConfig(hosts=[es.url], index_prefix=PREFIX))
        indexer = PostIndexer(client, store, PREFIX, names=names)
        start = time.perf_counter()
        while indexer.index_pending(batch=batch):
            pass
        seconds = time.perf_counter() - start
        client.close()
        return seconds, sum(len(d) for d in es.docs.values())


def baseline(store: Store, names: dict[str, str]) -> tuple[float, int]:
    with FakeElasticsearch() as es:
        client = make_client(EsConfig(hosts=[es.url], index_prefix=PREFIX))
        start = time.perf_counter()
        rows = store.posts.after(0, limit=10**9)
        actions = [
            PostDoc.from_post(doc, posts_index(PREFIX, doc["published_at"]), names).to_dict(
                include_meta=True
            )
            for _, doc in rows
        ]
        bulk(client, actions)  # the helper's defaults: chunk_size=500, max_chunk_bytes=100 MB
        seconds = time.perf_counter() - start
        client.close()
        return seconds, sum(len(d) for d in es.docs.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="the indexer's batch (daemon: 500)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        names = fill(store, args.posts)
        # Baseline first, then ours, then the baseline again: a warm-up effect shows as a gap
        # between the two baseline lines instead of favouring either side.
        b1, nb1 = baseline(store, names)
        o, no = ours(store, names, args.batch)
        b2, nb2 = baseline(store, names)
        store.close()
    assert no == nb1 == nb2 == args.posts, (no, nb1, nb2)
    best = min(b1, b2)
    print(f"{args.posts:,} posts into the local Elasticsearch stand-in\n")
    print(f"{'documents/s':52}{'':>10}")
    print(f"{f'yujing PostIndexer (batch {args.batch}, cursor per batch)':52}{no / o:>10,.0f}")
    print(f"{'elasticsearch.helpers.bulk, defaults (first run)':52}{nb1 / b1:>10,.0f}")
    print(f"{'elasticsearch.helpers.bulk, defaults (second run)':52}{nb2 / b2:>10,.0f}")
    print(f"\nyujing at {best / o:.2f}× the helper's best run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
