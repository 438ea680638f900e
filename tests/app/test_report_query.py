"""The report's query layer: each number as planted in a store, and equal to its recount from the
store's raw rows (``testkit.recount``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from testkit.recount import assert_matches, recount
from yujing.alerts import Action, Alert, AlertState, BurstFacts, Handling, Severity
from yujing.app.reports.period import Period, last_complete_day
from yujing.app.reports.query import Change, build_report
from yujing.config import Config
from yujing.records import Post, ScoredPost
from yujing.store import Store

DAY = date(2026, 12, 7)


def config() -> Config:
    return Config.model_validate(
        {
            "products": [
                {"id": "anxin-e", "name": "安心e生医疗险", "line": "医疗险"},
                {"id": "kangning", "name": "康宁重疾险", "line": "重疾险"},
                {"id": "jindun", "name": "金盾意外险"},
            ],
            "categories": [
                {"id": "claims", "name": "拒赔", "keywords": ["拒赔"], "dispute": "claims"},
                {"id": "mis_selling", "name": "误导", "keywords": ["误导"], "dispute": "sales"},
                {"id": "surrender", "name": "退保", "keywords": ["退保"], "dispute": "surrender"},
                {"id": "service", "name": "态度", "keywords": ["态度差"]},
            ],
        }
    )


TZ = config().tz


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def post(
    n: int,
    at: datetime,
    products: tuple[str, ...],
    categories: tuple[str, ...] = (),
    *,
    complaint: bool | None = True,
    sentiment: float = 0.1,
    author: str | None = None,
    source: str = "forum",
) -> ScoredPost:
    return ScoredPost(
        post=Post(
            source=source,
            url=f"https://bbs.example.cn/t/{n}",
            id=f"p{n}",
            author=author,
            title="",
            text=f"帖子 {n}",
            published_at=at,
            fetched_at=at,
        ),
        products=products,
        categories=categories,
        sentiment=sentiment,
        complaint=complaint,
    )


def wave(key: str, started: datetime, *, ended: datetime | None = None) -> Alert:
    product, _, category = key.partition("/")
    labels = {"kind": "burst", "product": product, "new_terms": "拒赔,住院"}
    if category:
        labels["category"] = category
    return Alert(
        key=f"burst:{key}",
        id=f"burst:{key}@{started:%Y%m%dT%H%M%S}",
        severity=Severity.ORANGE,
        state=AlertState.RESOLVED if ended else AlertState.FIRING,
        started_at=started,
        updated_at=ended or started,
        resolved_at=ended,
        labels=labels,
        burst=BurstFacts(
            window_start=started - timedelta(hours=1),
            window_end=started,
            count=9,
            baseline=0.5,
            complainants=7,
        ),
    )


def act(store: Store, alert: Alert, action: Action, at: datetime) -> None:
    store.handling.add(Handling(alert_id=alert.id, action=action, by="王敏", at=at))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "y.db")
    before = DAY - timedelta(days=1)
    for scored in (
        post(1, local(DAY, 9), ("anxin-e",), ("claims",), author="a1"),
        post(
            2, local(DAY, 10), ("anxin-e",), ("mis_selling", "service"), author="a1", source="feed"
        ),
        post(3, local(DAY, 23, 30), ("anxin-e", "kangning"), ("surrender",), source="hotline"),
        post(4, local(DAY, 11), ("anxin-e",), complaint=False, sentiment=0.9),
        post(5, local(DAY, 12), ("jindun",), complaint=False, sentiment=0.5),
        # Not judged by the gate: counted by tone, as bursts count such records.
        post(6, local(before, 12), ("kangning",), complaint=None, sentiment=0.2, author="b"),
        post(7, local(DAY + timedelta(days=1), 0, 30), ("anxin-e",), ("claims",)),
        post(8, local(DAY - timedelta(days=20), 9), ("anxin-e",), ("claims",)),
        post(9, local(DAY - timedelta(days=40), 9), ("anxin-e",), ("claims",)),
        post(10, local(DAY - timedelta(days=70), 9), ("kangning",), ("service",)),
        post(11, local(DAY, 9), ("unwatched",), ("claims",)),
    ):
        store.posts.accept(scored)
    old = wave(
        "anxin-e", local(DAY - timedelta(days=40), 9, 30), ended=local(DAY - timedelta(days=39), 9)
    )
    today = wave("anxin-e", local(DAY, 9, 30))
    lingering = wave("kangning/claims", local(DAY - timedelta(days=2), 15))
    for alert in (old, today, lingering):
        store.alerts.save(alert)
    act(store, old, Action.RESOLVE, local(DAY - timedelta(days=38), 9))  # answers post 9
    act(store, today, Action.ACK, local(DAY, 9, 42))
    act(store, today, Action.RESOLVE, local(DAY + timedelta(days=1), 10))  # after the report
    act(store, lingering, Action.RESOLVE, local(DAY, 8))
    for source, at, items, errors in (("forum", 1, 5, 0), ("forum", 2, 0, 1), ("feed", -20, 3, 0)):
        run = store.runs.start(source, local(DAY, 0) + timedelta(hours=at))
        store.runs.finish(run, items, items, errors, "timeout" if errors else None)
    store.health.record("forum", ok=False, reason="timeout", at=local(DAY, 2))
    yield store
    store.close()


def test_each_number_is_the_one_planted_and_its_recount(store: Store) -> None:
    cfg = config()
    report = build_report(store, cfg, Period.of("daily", DAY, cfg.tz), None)
    assert report.complaints == Change(3, 1)  # posts 1-3; post 6 the day before
    assert report.people == Change(2, 1)  # a1 twice, and a call without a number
    assert report.complaints.words() == "较上期 +2（+200%）"
    assert len(report.per_product["anxin-e"]) == 24, "a day's trend goes hour by hour"
    nine, ten, late = local(DAY, 9), local(DAY, 10), local(DAY, 23)
    assert {k: {h: n for h, n in v.items() if n} for k, v in report.per_product.items()} == {
        "anxin-e": {nine: 1, ten: 1, late: 1},
        "kangning": {late: 1},
    }
    assert {k: {h: n for h, n in v.items() if n} for k, v in report.per_channel.items()} == {
        "feed": {ten: 1},
        "forum": {nine: 1},
        "hotline": {late: 1},
    }
    assert report.sentiment == {"负面": 3, "中性": 1, "正面": 1}
    assert report.disputes == {
        "医疗险": {"理赔纠纷": 1, "销售纠纷": 1, "退保纠纷": 1},
        "重疾险": {"退保纠纷": 1},
    }
    # Post 8 (20 days), post 10 (70 days); post 9 was answered by the old wave's resolution.
    assert report.overdue == {15: 2, 30: 1, 60: 1}
    assert report.overdue_by_product == {"anxin-e": 1, "kangning": 1}
    by_id = {w.alert_id: w for w in report.waves}
    assert len(by_id) == 2, "the old wave ended weeks before"
    today = next(w for w in report.waves if w.product == "anxin-e")
    assert today.open and today.to_acknowledge == timedelta(minutes=12)
    assert today.to_resolve is None, "resolved after the period: open in this report"
    lingering = next(w for w in report.waves if w.category == "claims")
    assert not lingering.open and lingering.to_resolve == timedelta(hours=41)
    assert report.new_terms == [("住院", 2), ("拒赔", 2)]
    forum = next(s for s in report.sources if s.source == "forum")
    assert (forum.runs, forum.failed_runs, forum.accepted, forum.failing) == (2, 1, 5, True)
    assert_matches(
        report,
        recount(
            store.path,
            first=DAY,
            days=1,
            tz=cfg.tz,
            products={p.id: p.line for p in cfg.products},
            disputes={c.id: c.dispute for c in cfg.categories},
        ),
    )


def test_a_weekly_report_and_one_product(store: Store) -> None:
    cfg = config()
    period = Period.of("weekly", DAY, cfg.tz)
    assert period.label == "2026-12-01 至 2026-12-07" and period.previous().last == date(
        2026, 11, 30
    )
    report = build_report(store, cfg, period, "kangning")
    assert report.complaints == Change(2, 0)  # posts 3 and 6 name it
    assert set(report.per_product) == {"kangning"}
    assert list(report.per_product["kangning"]) == [
        datetime.combine(DAY - timedelta(days=6 - i), datetime.min.time(), TZ) for i in range(7)
    ]
    assert [w.product for w in report.waves] == ["kangning"]
    assert_matches(
        report,
        recount(
            store.path,
            first=period.first,
            days=7,
            tz=cfg.tz,
            products={"kangning": "重疾险"},
            disputes={c.id: c.dispute for c in cfg.categories},
        ),
    )
    with pytest.raises(ValueError, match="unknown product 'nope'"):
        build_report(store, cfg, period, "nope")


def test_the_day_a_morning_report_is_about_is_yesterday_in_the_teams_zone() -> None:
    # 2026-12-08 01:00 in Shanghai is still 12-07 in UTC: the report is about 12-07 local.
    assert last_complete_day(local(date(2026, 12, 8), 1), TZ) == date(2026, 12, 7)


def test_the_report_command_writes_html_and_pdf_or_says_what_is_wrong(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    from yujing.app.cli import main

    cfg = config().model_dump(mode="json", exclude_defaults=True)
    cfg.update(storage={"path": str(store.path)}, alerts_file=None)
    path = tmp_path / "yujing.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "reports"
    args = ["report", "daily", "-c", str(path), "--date", DAY.isoformat(), "--out", str(out)]
    assert main([*args, "--product", "nope"]) == 1
    assert "unknown product 'nope'" in capsys.readouterr().err
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "日报 2026-12-07: 投诉 3 条，2 人，预警 2 起" in said
    assert (out / "daily-2026-12-07.pdf").read_bytes().startswith(b"%PDF")
    html = (out / "daily-2026-12-07.html").read_text(encoding="utf-8")
    assert "本期投诉 3 条，较上期 +2（+200%）" in html
    assert "康宁重疾险 / 拒赔" in html, "a category wave is named by product and category"
    gone = tmp_path / "gone.yaml"
    gone.write_text(
        yaml.safe_dump({**cfg, "storage": {"path": str(tmp_path / "none.db")}}), encoding="utf-8"
    )
    with pytest.raises(SystemExit) as exited:
        main(["report", "weekly", "-c", str(gone)])
    assert exited.value.code == 1
    assert "none.db does not exist" in capsys.readouterr().err


def test_a_waves_special_report_tells_its_story_in_order(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import sqlite3

    from yujing.app.cli import main
    from yujing.app.reports.wave_document import render_wave_html
    from yujing.app.reports.wave_query import build_wave_report

    cfg = config()
    # Another wave of the product than the fixture's, its window opening at 08:35.
    alert = wave("anxin-e", local(DAY, 9, 35), ended=local(DAY, 23, 45))
    store.alerts.save(alert)
    act(store, alert, Action.ACK, local(DAY, 9, 40))
    store.handling.add(
        Handling(
            alert_id=alert.id, action=Action.ASSIGN, by="王敏", at=local(DAY, 9, 41), to="李雷"
        )
    )
    w = build_wave_report(store, cfg, alert.id)
    assert (w.posts, w.people) == (3, 2)  # posts 1-3; post 4 is praise, post 7 came after
    assert w.first is not None and (w.first.source, w.first.author) == ("forum", "a1")
    assert w.first.published_at == local(DAY, 9)
    assert list(w.first_by_channel) == ["forum", "feed", "hotline"], "in the order it spread"
    assert w.per_channel == {"forum": 1, "feed": 1, "hotline": 1}
    assert w.tone == {"负面": 3, "中性": 0, "正面": 0}
    assert w.categories == {"拒赔": 1, "误导": 1, "态度": 1, "退保": 1}
    assert [h.action for h in w.handling] == [Action.ACK, Action.ASSIGN]
    assert w.times.assignee == "李雷"
    assert sum(sum(c.values()) for c in w.timeline.values()) == 3
    # Counted again from the raw rows: complaints naming the product inside the wave's span.
    db = sqlite3.connect(store.path)
    rows = db.execute(
        "SELECT p.author, p.id, p.doc FROM posts p JOIN post_products pp ON pp.post_id = p.id"
        " WHERE pp.product = 'anxin-e' AND p.published_at BETWEEN ? AND ?",
        (
            local(DAY, 8, 30).astimezone(UTC).isoformat(),
            local(DAY, 23, 45).astimezone(UTC).isoformat(),
        ),
    ).fetchall()
    db.close()
    complaints = [(a or i) for a, i, doc in rows if json.loads(doc)["complaint"]]
    assert (w.posts, w.people) == (len(complaints), len(set(complaints)))

    html = render_wave_html(w, cfg.tz)
    order = [html.index(h) for h in ("一、概况", "二、传播", "三、内容与情感", "四、处置")]
    assert order == sorted(order)
    assert "首发</b>：12-07 09:00，forum" in html and "王敏 已指派给 李雷" in html
    # An address from outside is a link only when it is a web page's.
    from dataclasses import replace

    trap = replace(w.first, url="javascript:alert(1)", title="<b>点我</b>")
    html = render_wave_html(replace(w, first=trap, representative=[trap]), cfg.tz)
    assert "javascript:" not in html and "<b>点我</b>" not in html and "&lt;b&gt;点我" in html

    path = tmp_path / "yujing.yaml"
    cfg_doc = cfg.model_dump(mode="json", exclude_defaults=True)
    cfg_doc.update(storage={"path": str(store.path)}, alerts_file=None)
    path.write_text(json.dumps(cfg_doc, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "reports"
    assert main(["report", "wave", "nope", "-c", str(path), "--out", str(out)]) == 1
    assert "'nope': no such alert" in capsys.readouterr().err
    assert main(["report", "wave", alert.id, "-c", str(path), "--out", str(out)]) == 0
    assert "投诉 3 条，2 人，3 个渠道" in capsys.readouterr().out
    assert (out / "wave-anxin-e-20261207-0935.pdf").read_bytes().startswith(b"%PDF")
