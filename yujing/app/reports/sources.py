"""How each source fared in a report's period: its runs, those that brought nothing but errors,
the posts it brought, and whether it is failing now."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from yujing.config import Config
from yujing.store import SourceRun, Store

from .period import Period

__all__ = ["SourceRow", "source_rows", "failed"]


@dataclass(frozen=True)
class SourceRow:
    source: str
    runs: int
    failed_runs: int
    accepted: int  # new posts its runs stored
    failing: bool  # now: its latest runs failed in a row
    failures: int
    failing_since: datetime | None
    reason: str | None
    last_success_at: datetime | None


def failed(run: SourceRun) -> bool:
    """A run that brought nothing but errors (as ``Runs.failing_since`` counts it)."""
    return run.errors > 0 and run.items == 0


def source_rows(store: Store, config: Config, period: Period) -> list[SourceRow]:
    """Every configured source, and any other that ran in the period, by name."""
    runs: dict[str, list[SourceRun]] = defaultdict(list)
    for run in store.runs.between(period.start, period.end):
        runs[run.source].append(run)
    names = sorted({s.name for s in config.sources} | set(runs))
    rows = []
    for name in names:
        health = store.health.get(name)
        mine = runs.get(name, [])
        rows.append(
            SourceRow(
                source=name,
                runs=len(mine),
                failed_runs=sum(failed(r) for r in mine),
                accepted=sum(r.accepted for r in mine),
                failing=health.failing,
                failures=health.failures,
                failing_since=health.failing_since,
                reason=health.reason,
                last_success_at=health.last_success_at,
            )
        )
    return rows
