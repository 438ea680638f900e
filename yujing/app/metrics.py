"""The daemon's numbers, in Prometheus' terms (served at ``/metrics`` by the HTTP component).

Two kinds. Counters and the crawl-duration histogram count what happened in this process: the
parts report to ``Metrics`` as they go (``source_run``, ``alert``, ``delivery``, ``pruned``),
so they start at zero on a restart, as Prometheus expects of counters. Gauges that describe
the store (outbox depth, dead letters, firing alerts, the detector's lag, the file's size) are
read from it when scraped, so they are true whoever wrote the rows (``yujing ingest`` too).

Each daemon has its own registry: two daemons in one process (tests) never share numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from yujing.alerts import AlertEvent, AlertState

if TYPE_CHECKING:
    from yujing.store import Pruned

    from .daemon import Daemon
    from .runs import SourceReport

__all__ = ["Metrics"]

# Crawls of a forum take seconds to minutes; an inbox pass, milliseconds.
DURATION_BUCKETS = (0.05, 0.25, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.items = Counter(
            "yujing_source_items",
            "Items a source's runs found (new or known).",
            ["source"],
            registry=r,
        )
        self.posts = Counter(
            "yujing_source_posts", "New posts a source's runs committed.", ["source"], registry=r
        )
        self.errors = Counter(
            "yujing_source_errors",
            "Errors in a source's runs (failed pages, quarantined files, failed runs).",
            ["source"],
            registry=r,
        )
        self.runs = Counter(
            "yujing_source_runs", "Finished runs of a source.", ["source", "outcome"], registry=r
        )
        self.duration = Histogram(
            "yujing_source_run_duration_seconds",
            "How long one run of a source took (a crawl, an inbox pass).",
            ["source"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.last_success = Gauge(
            "yujing_source_last_success_timestamp_seconds",
            "When a run of the source last brought something without failing outright.",
            ["source"],
            registry=r,
        )
        self.alerts = Counter(
            "yujing_alert_events",
            "Alert events raised (firing, updated, escalated, resolved) by severity.",
            ["event", "severity"],
            registry=r,
        )
        self.deliveries = Counter(
            "yujing_deliveries",
            "Attempts to deliver an outbox row, by outcome (sent, failed).",
            ["outcome"],
            registry=r,
        )
        self.pruned_rows = Counter(
            "yujing_retention_deleted",
            "Rows deleted by retention, by kind (posts, runs, messages).",
            ["kind"],
            registry=r,
        )

    # ------------------------------------------------------------ what the parts report

    def source_run(self, report: SourceReport, seconds: float, now: float) -> None:
        name = report.source
        self.items.labels(name).inc(report.items)
        self.posts.labels(name).inc(report.accepted)
        self.errors.labels(name).inc(report.errors)
        failed = report.errors > 0 and report.items == 0
        self.runs.labels(name, "failed" if failed else "ok").inc()
        self.duration.labels(name).observe(seconds)
        if not failed:
            self.last_success.labels(name).set(now)

    def alert(self, event: AlertEvent) -> None:
        self.alerts.labels(event.event.value, event.alert.severity.value).inc()

    def delivery(self, sent: int, failed: int) -> None:
        self.deliveries.labels("sent").inc(sent)
        self.deliveries.labels("failed").inc(failed)

    def pruned(self, pruned: Pruned) -> None:
        self.pruned_rows.labels("posts").inc(pruned.posts)
        self.pruned_rows.labels("runs").inc(pruned.runs)
        self.pruned_rows.labels("messages").inc(pruned.messages)

    # ------------------------------------------------------------ scraping

    def watch(self, daemon: Daemon) -> None:
        """Read the store's gauges from ``daemon`` at every scrape."""
        self.registry.register(_StoreCollector(lambda: daemon))

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The body and content type of a scrape (OpenMetrics when the scraper asks for it)."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


class _StoreCollector:
    """Gauges read from the store when Prometheus scrapes (on the daemon's loop thread)."""

    def __init__(self, daemon: Callable[[], Any]):
        self._daemon = daemon

    def collect(self) -> Iterator[Metric]:
        daemon = self._daemon()
        store = daemon.store

        depth = GaugeMetricFamily(
            "yujing_outbox_pending",
            "Outbox rows not delivered yet, per receiver.",
            labels=["receiver"],
        )
        for receiver, count, _error in store.outbox.pending():
            depth.add_metric([receiver], count)
        yield depth

        dead = GaugeMetricFamily(
            "yujing_outbox_dead_letters",
            "Outbox rows set aside as undeliverable, per receiver.",
            labels=["receiver"],
        )
        for receiver, count in store.outbox.dead_letters().items():
            dead.add_metric([receiver], count)
        yield dead

        firing = GaugeMetricFamily(
            "yujing_alerts_firing", "Alerts firing now, by severity.", labels=["severity"]
        )
        by_severity: dict[str, int] = {}
        for alert in store.alerts.all(AlertState.FIRING):
            key = alert.severity.value
            by_severity[key] = by_severity.get(key, 0) + 1
        for severity, count in sorted(by_severity.items()):
            firing.add_metric([severity], count)
        yield firing

        stored = store.posts.last_rowid()
        yield GaugeMetricFamily(
            "yujing_detector_lag_posts",
            "Stored posts the detector has not read yet (newest post's rowid minus its cursor).",
            value=max(0, stored - daemon.pipeline.detector.cursor),
        )
        yield GaugeMetricFamily(
            "yujing_posts_stored", "Posts in the store.", value=store.posts.count()
        )
        yield GaugeMetricFamily(
            "yujing_store_size_bytes",
            "The store's file and write-ahead log.",
            value=store.size_bytes(),
        )
