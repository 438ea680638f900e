"""Seconds to compute a daily report's numbers from a store of many posts (``build_report``).

    .venv/bin/python benchmarks/report_query.py [--posts 100000] [--days 90] [--products 20]

The store holds ``--posts`` posts spread over ``--days`` days, a third of them complaints, each
naming one of ``--products`` products, and a burst alert per product. The report reads every post
published before the end of its day once (unanswered complaints are counted back to the first),
so it is compared, in the same run, with its floor: reading and parsing every stored document
once (``SELECT doc FROM posts`` and ``json.loads``), and with rendering the HTML and the PDF.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from yujing.alerts import Alert, AlertState, BurstFacts, Severity
from yujing.app.reports.document import render_html
from yujing.app.reports.pdf import write_pdf
from yujing.app.reports.period import Period
from yujing.app.reports.query import build_report
from yujing.config import Config
from yujing.records import Post, ScoredPost
from yujing.store import Store

END = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # 2026-12-09 00:00 in Shanghai


def config(products: int) -> Config:
    return Config.model_validate(
        {
            "alerts_file": None,
            "products": [
                {"id": f"p{i}", "name": f"产品{i}", "line": "医疗险"} for i in range(products)
            ],
            "categories": [
                {"id": "claims", "name": "拒赔", "keywords": ["拒赔"], "dispute": "claims"},
                {"id": "surrender", "name": "退保", "keywords": ["退保"], "dispute": "surrender"},
            ],
        }
    )


def fill(store: Store, posts: int, days: int, products: int) -> None:
    rng = Random(7)
    with store.transaction():
        for n in range(posts):
            at = END - timedelta(seconds=rng.uniform(0, days * 86400))
            complaint = rng.random() < 1 / 3
            post = Post(
                source=f"s{n % 4}",
                url=f"https://bbs.example.cn/t/{n}",
                id=f"{n:012d}",
                author=f"a{rng.randrange(posts // 3)}",
                title="",
                text="产品理赔被拒，客服一直推脱" if complaint else "产品不错",
                published_at=at,
                fetched_at=at,
            )
            store.posts.insert(
                ScoredPost(
                    post=post,
                    products=(f"p{rng.randrange(products)}",),
                    categories=("claims",) if complaint else (),
                    sentiment=0.1 if complaint else 0.8,
                    complaint=complaint,
                )
            )
        for i in range(products):
            started = END - timedelta(hours=rng.uniform(1, 20))
            store.alerts.save(
                Alert(
                    key=f"burst:p{i}",
                    id=f"burst:p{i}@{started:%Y%m%dT%H%M%S}",
                    severity=Severity.ORANGE,
                    state=AlertState.FIRING,
                    started_at=started,
                    updated_at=started,
                    labels={"kind": "burst", "product": f"p{i}", "new_terms": "拒赔,推脱"},
                    burst=BurstFacts(started - timedelta(hours=1), started, 12, 1.0, 10),
                )
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--products", type=int, default=20)
    args = ap.parse_args()
    cfg = config(args.products)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "y.db"
        store = Store(path)
        t = time.perf_counter()
        fill(store, args.posts, args.days, args.products)
        print(f"store: {args.posts:,} posts over {args.days} days, {time.perf_counter() - t:.1f} s")

        db = sqlite3.connect(path)
        t = time.perf_counter()
        parsed = sum(1 for (doc,) in db.execute("SELECT doc FROM posts") if json.loads(doc))
        floor = time.perf_counter() - t
        db.close()
        print(f"floor: read and parse every document once: {floor:.2f} s ({parsed:,} posts)")

        day = END.astimezone(cfg.tz).date() - timedelta(days=1)
        t = time.perf_counter()
        report = build_report(store, cfg, Period.of("daily", day, cfg.tz), None)
        took = time.perf_counter() - t
        print(
            f"build_report (daily {day}): {took:.2f} s, {took / floor:.1f}x the floor; "
            f"{report.complaints.now:,} complaints, overdue > 15 days {report.overdue[15]:,}"
        )
        t = time.perf_counter()
        html = render_html(report)
        write_pdf(html, Path(tmp) / "r.pdf")
        print(f"render: HTML and PDF in {time.perf_counter() - t:.2f} s")
        store.close()


if __name__ == "__main__":
    main()
