"""Alerts per second through the notifier: routing, grouping and delivery, with the store.

    .venv/bin/python benchmarks/routing.py [--alerts 5000] [--products 50]

Each alert event is routed through a route tree of the kind admins write (a PR route per
severity, a team per product family, a catch-all), put into its aggregation group in the store
in its own transaction as the daemon does (``Notifier.submit``), and the groups are then flushed
and delivered to a receiver that only counts (``Notifier.deliver_due``). Printed beside, in the
same run, the baselines it is compared with:

* the route tree alone (``match_routes`` on each event's labels, in memory): what the matching
  costs, the floor of any routing;
* one SQLite transaction per alert that writes its row and nothing else (``store.alerts.save``):
  the floor of anything that keeps an alert durably.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.config import Config
from yujing.notifier.dispatch import Notifier
from yujing.notifier.route import match_routes
from yujing.store import Store

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
SEVERITIES = [Severity.BLUE, Severity.YELLOW, Severity.ORANGE, Severity.RED]


def config(products: int) -> Config:
    receivers = [{"name": n, "type": "log"} for n in ("pr", "risk", "health", "ops", "all")]
    return Config.model_validate(
        {
            "alerts_file": None,
            "products": [{"id": f"p{i}", "name": f"产品{i}"} for i in range(products)],
            "notify": {
                "receivers": receivers,
                "route": {
                    "receiver": "all",
                    "group_by": ["product"],
                    "group_wait": "10s",
                    "group_interval": "1m",
                    "repeat_interval": "4h",
                    "routes": [
                        {"matchers": ["severity=~red|orange"], "receiver": "pr", "continue": True},
                        {"matchers": ["product=~p[0-4].*"], "receiver": "health", "continue": True},
                        {"matchers": ["category=~.+"], "receiver": "risk"},
                        {"matchers": ["kind=source"], "receiver": "ops"},
                    ],
                },
            },
        }
    )


def events(n: int, products: int) -> list[AlertEvent]:
    out = []
    for i in range(n):
        product = f"p{i % products}"
        labels = {"kind": "burst", "product": product}
        if i % 3 == 0:
            labels["category"] = "claims"
        key = f"burst:{product}" + ("/claims" if "category" in labels else "") + f"#{i}"
        at = T0 + timedelta(seconds=i)
        alert = Alert(
            key, f"{key}@{i}", SEVERITIES[i % 4], AlertState.FIRING, at, at, labels=labels
        )
        out.append(AlertEvent(EventKind.FIRING, alert))
    return out


class Counter:
    def __init__(self) -> None:
        self.alerts = 0

    def send(self, notification) -> None:
        self.alerts += len(notification.events)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--alerts", type=int, default=5000)
    ap.add_argument("--products", type=int, default=50)
    args = ap.parse_args()
    conf = config(args.products)
    todo = events(args.alerts, args.products)
    n = len(todo)

    t = time.perf_counter()
    matched = sum(len(match_routes(conf.notify.route, e.labels())) for e in todo)
    match_s = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        floor = Store(Path(tmp) / "floor.db")
        t = time.perf_counter()
        for e in todo:
            with floor.transaction():
                floor.alerts.save(e.alert)
        floor_s = time.perf_counter() - t
        floor.close()

        store = Store(Path(tmp) / "y.db")
        counters = {r.name: Counter() for r in conf.notify.receivers}
        notifier = Notifier(conf, store, receivers=counters, clock=lambda: T0)
        t = time.perf_counter()
        for e in todo:
            with store.transaction():
                store.alerts.save(e.alert)
                notifier.submit(e, e.alert.updated_at)
        submit_s = time.perf_counter() - t
        later = todo[-1].alert.updated_at + timedelta(minutes=5)
        t = time.perf_counter()
        report = notifier.deliver_due(later, limit=10**9)
        deliver_s = time.perf_counter() - t
        store.close()
    told = sum(c.alerts for c in counters.values())

    print(f"{n:,} alert events, {args.products} products, {matched:,} route matches\n")
    print("| stage | alerts/s | what it does |")
    print("|---|---|---|")
    print(f"| route tree alone (baseline) | {n / match_s:,.0f} | match_routes, in memory |")
    print(f"| store floor (baseline) | {n / floor_s:,.0f} | one transaction per alert row |")
    print(
        f"| submit | {n / submit_s:,.0f} | alert row + route + group, one transaction each "
        f"({floor_s / submit_s:.2f}x the store floor) |"
    )
    print(
        f"| flush + deliver | {n / deliver_s:,.0f} | {report.sent:,} notifications "
        f"carrying {told:,} alerts to counting receivers |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
