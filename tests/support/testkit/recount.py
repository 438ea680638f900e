"""A report's numbers counted again from the store's raw rows, the long way: plain SQL and loops,
sharing nothing with ``yujing.app.reports`` but the definitions the report states in words."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DISPUTE_NAMES = {
    "claims": "理赔纠纷",
    "sales": "销售纠纷",
    "surrender": "退保纠纷",
    "other": "其他",
}


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _complaint(doc: dict[str, Any]) -> bool:
    if doc.get("complaint") is not None:
        return bool(doc["complaint"])
    s = doc["sentiment"]
    return s < 0.4 or (bool(doc.get("categories")) and s <= 0.6)


def recount(
    db_path: Path,
    *,
    first: date,
    days: int,
    tz: ZoneInfo,
    products: dict[str, str | None],  # watched id -> line
    disputes: dict[str, str],  # category id -> dispute id
) -> dict[str, Any]:
    """Every number ``build_report`` gives for ``days`` local days from ``first``."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    start = datetime.combine(first, datetime.min.time(), tz).astimezone(UTC)
    end = start + timedelta(days=days)
    prev_start = start - timedelta(days=days)
    named: dict[str, list[str]] = defaultdict(list)
    for post_id, product in db.execute("SELECT post_id, product FROM post_products"):
        if product in products:
            named[post_id].append(product)
    spans = []
    for doc_text, resolved in db.execute(
        "SELECT a.doc, h.resolved_at FROM alerts a JOIN alert_handling h ON h.alert_id = a.id"
    ):
        a = json.loads(doc_text)
        if a["kind"] == "burst" and resolved and _t(resolved) < end:
            since = _t(a.get("window_start") or a["started_at"])
            spans.append(
                (a["product"], a["category"], since, _t(a["resolved_at"] or a["updated_at"]))
            )
    out: dict[str, Any] = {
        "complaints": 0,
        "previous_complaints": 0,
        "sentiment": Counter(),
        "per_product": defaultdict(Counter),
        "per_channel": defaultdict(Counter),
        "disputes": defaultdict(Counter),
        "overdue": Counter(),
        "overdue_by_product": Counter(),
    }
    people, previous_people = set(), set()
    for post_id, author, source, published, doc_text in db.execute(
        "SELECT id, author, source, published_at, doc FROM posts"
    ):
        at = _t(published)
        mine = sorted(named.get(post_id, []))
        if not mine or at >= end:
            continue
        doc = json.loads(doc_text)
        person = author or post_id
        if start <= at:
            s = doc["sentiment"]
            out["sentiment"]["负面" if s < 0.4 else "正面" if s > 0.6 else "中性"] += 1
        if not _complaint(doc):
            continue
        cats = doc.get("categories") or []
        if start <= at:
            out["complaints"] += 1
            people.add(person)
            local = at.astimezone(tz)
            if days == 1:
                day = local.replace(minute=0, second=0, microsecond=0)
            else:
                day = datetime.combine(local.date(), datetime.min.time(), tz)
            out["per_channel"][source][day] += 1
            kinds = {disputes.get(c, "other") for c in cats}
            kind = next((k for k in ("claims", "sales", "surrender") if k in kinds), "other")
            for p in mine:
                out["per_product"][p][day] += 1
                out["disputes"][products[p] or "未分类"][DISPUTE_NAMES[kind]] += 1
        elif prev_start <= at:
            out["previous_complaints"] += 1
            previous_people.add(person)
        answered = any(
            p == sp and (sc is None or sc in cats) and since <= at <= until
            for p in mine
            for sp, sc, since, until in spans
        )
        for limit in (15, 30, 60):
            if not answered and end - at > timedelta(days=limit):
                out["overdue"][limit] += 1
        if not answered and end - at > timedelta(days=15):
            for p in mine:
                out["overdue_by_product"][p] += 1
    out["people"], out["previous_people"] = len(people), len(previous_people)
    waves = {}
    terms: Counter[str] = Counter()
    for alert_id, doc_text in db.execute("SELECT id, doc FROM alerts"):
        a = json.loads(doc_text)
        started, ended = _t(a["started_at"]), _t(a["resolved_at"])
        if a["kind"] != "burst" or a["product"] not in products:
            continue
        if started >= end or (ended is not None and ended < start):
            continue
        row = db.execute(
            "SELECT acknowledged_at, resolved_at FROM alert_handling WHERE alert_id=?", (alert_id,)
        ).fetchone() or (None, None)
        ack, res = (_t(v) if v and _t(v) < end else None for v in row)
        waves[alert_id] = (ack - started if ack else None, res - started if res else None)
        terms.update(t for t in (a["labels"].get("new_terms") or "").split(",") if t)
    out["waves"] = waves
    out["new_terms"] = sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    out["failing"] = {
        source: failures
        for source, failures in db.execute("SELECT source, failures FROM source_health")
        if failures > 0
    }
    runs: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for source, items, accepted, errors in db.execute(
        "SELECT source, items, accepted, errors FROM source_runs WHERE complete=1"
        " AND finished_at IS NOT NULL AND started_at >= ? AND started_at < ?",
        (start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds")),
    ):
        runs[source][0] += 1
        runs[source][1] += int(errors > 0 and items == 0)
        runs[source][2] += accepted
    out["runs"] = {k: tuple(v) for k, v in runs.items()}
    db.close()
    return out


def assert_matches(report: Any, counted: dict[str, Any]) -> None:
    """Each number of ``report`` (a ``yujing.app.reports.query.Report``) equals its recount."""
    assert report.complaints.now == counted["complaints"]
    assert report.complaints.before == counted["previous_complaints"]
    assert report.people.now == counted["people"]
    assert report.people.before == counted["previous_people"]
    assert report.sentiment == {k: counted["sentiment"][k] for k in ("负面", "中性", "正面")}
    for name, table in (("per_product", report.per_product), ("per_channel", report.per_channel)):
        assert {k: {d: n for d, n in v.items() if n} for k, v in table.items()} == {
            k: dict(v) for k, v in counted[name].items()
        }, name
    assert report.disputes == {k: dict(v) for k, v in counted["disputes"].items()}
    assert report.overdue == {d: counted["overdue"][d] for d in (15, 30, 60)}
    assert {w.alert_id: (w.to_acknowledge, w.to_resolve) for w in report.waves} == counted["waves"]
    assert {
        s.source: (s.runs, s.failed_runs, s.accepted) for s in report.sources if s.runs
    } == counted["runs"]
    assert report.overdue_by_product == dict(counted["overdue_by_product"])
    assert report.new_terms == counted["new_terms"]
    assert {s.source: s.failures for s in report.sources if s.failing} == counted["failing"]
