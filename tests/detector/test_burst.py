from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from random import Random

import pytest

from yujing.alerts import AlertState, Severity
from yujing.config import BurstOverride, BurstRule, Detection
from yujing.detector.burst import STATE_KEY, BurstDetector
from yujing.detector.burst.severity import Signals, grade, reasons
from yujing.detector.emerging import EmergingTerms, terms
from yujing.detector.series import Series
from yujing.records import Reach, ScoredPost, format_time
from yujing.store import Store

from .conftest import make_post

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
RULE = BurstRule(window=3600, bucket=600, min_count=5, ratio=3.0, p_value=1e-6)
_ids = count()


def scored(
    product: str,
    at: datetime,
    *,
    author: str | None = None,
    source: str = "forum",
    collective: bool = False,
    sentiment: float = 0.1,
    text: str | None = None,
    categories: tuple[str, ...] = (),
    views: int = 0,
) -> ScoredPost:
    n = next(_ids)
    post = make_post(
        text or f"complaint {n}",
        source=source,
        native_id=str(n),
        author=author or f"u{n}",
        at=at,
    )
    post = replace(post, reach=Reach(views=views))
    return ScoredPost(post, (product,), categories, sentiment, collective)


def feed(det: BurstDetector, sp: ScoredPost, store: Store | None = None) -> None:
    """As the daemon does: commit, then the detector reads what was committed."""
    if store is None:
        det.observe(sp)
        return
    assert store.posts.accept(sp)
    assert det.catch_up() == set(sp.products)


def background(
    det: BurstDetector,
    product: str,
    days: int = 14,
    per_day: float = 2.0,
    seed: int = 1,
    store: Store | None = None,
    categories: tuple[str, ...] = (),
) -> None:
    """A quiet product: about ``per_day`` posts a day for ``days`` days before T0."""
    rng = Random(seed)
    t = T0 - timedelta(days=days)
    while t < T0 - timedelta(hours=2):
        if rng.random() < per_day / 144:
            word = rng.choice(["理赔慢", "客服差", "保费涨", "退保难"])
            sp = scored(product, t, text=f"{word} {next(_ids)}", categories=categories)
            feed(det, sp, store)
        t += timedelta(minutes=10)


def run(det: BurstDetector, products, start: datetime, end: datetime, step=timedelta(minutes=10)):
    events = []
    t = start
    while t <= end:
        events += det.evaluate(products, t)
        t += step
    return events


def wave(det, product, start, n, store=None, **kw):
    for i in range(n):
        feed(det, scored(product, start + timedelta(minutes=i), **kw), store)


@pytest.fixture
def det():
    d = BurstDetector(Detection(burst=RULE), None)
    background(d, "a")
    background(d, "b", seed=2)
    return d


def test_quiet_products_with_background_do_not_fire(det):
    assert run(det, ["a", "b"], T0 - timedelta(days=10), T0 + timedelta(days=1)) == []


def test_zero_heavy_series_fires_on_a_small_wave(det):
    # 2 a day is 0.08 an hour: 6 posts in an hour is a group complaint starting
    wave(det, "a", T0, 6)
    (fired,) = det.evaluate(["a", "b"], T0 + timedelta(minutes=8))
    assert fired.state is AlertState.FIRING and fired.product == "a"
    assert fired.burst.count == 6 and fired.burst.baseline < 0.5
    assert fired.reasons[0] == "68 分钟内 6 条投诉，平时几乎没有"  # the window and 8 min so far
    assert len(fired.burst.series) == 24 and sum(fired.burst.series) == 6
    assert fired.burst.score > 6  # -log10 p


def test_too_few_posts_do_not_fire_however_sudden(det):
    wave(det, "a", T0, 4)
    assert det.evaluate(["a"], T0 + timedelta(minutes=5)) == []


def test_wave_lifecycle_one_alert_updated_then_resolved(det):
    wave(det, "a", T0, 6, source="forum")
    t1 = T0 + timedelta(minutes=7)
    (fired,) = det.evaluate(["a", "b"], t1)
    # Named after the wave's first bucket in the posts (12:00), not the minute it was seen.
    assert fired.id == "burst:a@20240301T120000Z" and fired.key == "burst:a"
    assert (fired.burst.complainants, fired.burst.sources, fired.severity) == (6, 1, Severity.BLUE)
    assert fired.started_at == t1 == fired.updated_at
    assert det.evaluate(["a"], t1 + timedelta(minutes=1)) == []  # nothing new
    # more people: an update of the same alert, then an escalation
    wave(det, "a", T0 + timedelta(minutes=8), 6, source="weibo")
    (upd,) = det.evaluate(["a"], T0 + timedelta(minutes=15))
    assert upd.id == fired.id and upd.burst.count == 12 and upd.severity is Severity.YELLOW
    wave(det, "a", T0 + timedelta(minutes=16), 10, source="tieba", collective=True)
    (esc,) = det.evaluate(["a"], T0 + timedelta(minutes=27))
    assert esc.id == fired.id and esc.severity.rank > upd.severity.rank
    assert esc.burst.complainants == 22 and esc.burst.sources == 3
    # the window slides: counts go down, no news; then back to baseline: resolved once
    later = run(det, ["a"], T0 + timedelta(minutes=30), T0 + timedelta(hours=5))
    assert [e.state for e in later] == [AlertState.RESOLVED]
    assert later[0].id == fired.id and later[0].burst.count == 22
    assert later[0].reasons[-1].startswith("已恢复常态：1 小时内")
    # a wave that big must not become the product's new normal
    assert det.series["burst:a"].baseline.per_day() < 5
    wave(det, "a", T0 + timedelta(days=1), 6)
    (second,) = det.evaluate(["a"], T0 + timedelta(days=1, minutes=7))
    assert second.id != fired.id and second.state is AlertState.FIRING


def test_two_detectors_with_the_same_posts_name_the_wave_alike_whenever_they_look():
    """Two daemons for availability each detect on their own: what they send is matched by
    the alert's id, so it must come from the posts, not from the second each looked."""
    seen = []
    # One looks in the wave's first 10-minute bucket, the other in the next.
    for looks_at in (timedelta(minutes=8, seconds=3), timedelta(minutes=13, seconds=41)):
        d = BurstDetector(Detection(burst=RULE), None)
        background(d, "a")
        assert run(d, ["a"], T0 - timedelta(hours=1), T0) == []
        wave(d, "a", T0 + timedelta(minutes=2), 7)
        (fired,) = d.evaluate(["a"], T0 + looks_at)
        seen.append(fired)
    assert seen[0].started_at != seen[1].started_at
    assert seen[0].id == seen[1].id == "burst:a@20240301T120000Z"


def test_an_id_a_stored_wave_has_is_never_given_to_a_new_one(tmp_path):
    """Memory of the last wave lost (a kill before the checkpoint): its onset could be named
    again, which would reopen that wave's record. The new wave is named when it was seen."""
    store = Store(tmp_path / "t.db")
    det = BurstDetector(Detection(burst=RULE), store, persist=False)
    background(det, "a", store=store)
    wave(det, "a", T0 + timedelta(minutes=2), 7, store=store)
    fired = det.evaluate(["a"], T0 + timedelta(minutes=8, seconds=3))[0]
    assert fired.id == "burst:a@20240301T120000Z"
    store.alerts.save(fired.resolve(T0 + timedelta(minutes=9)))
    det.series["burst:a"].wave = None  # as if the detector never knew of it
    wave(det, "a", T0 + timedelta(minutes=10), 3, store=store)
    (again,) = det.evaluate(["a"], T0 + timedelta(minutes=13, seconds=41))
    assert again.id == "burst:a@20240301T121341Z"
    store.close()


def test_busy_product_needs_far_more_than_its_usual():
    det = BurstDetector(Detection(burst=RULE), None)
    background(det, "busy", per_day=100)
    wave(det, "busy", T0, 12)  # about 4 an hour usually: 12 + the usual few is not enough
    assert run(det, ["busy"], T0 - timedelta(hours=1), T0 + timedelta(minutes=14)) == []
    wave(det, "busy", T0 + timedelta(minutes=15), 30)
    (alert,) = det.evaluate(["busy"], T0 + timedelta(minutes=50))
    assert 2 < alert.burst.baseline < 8


def test_hour_of_day_pattern_is_learned():
    det = BurstDetector(Detection(burst=RULE), None)
    rng = Random(5)
    t = T0 - timedelta(days=21)
    while t < T0:
        rate = 60 if t.hour in (1, 2) else 2  # a nightly batch of posts
        if rng.random() < rate / 144:
            det.observe(scored("n", t))
        t += timedelta(minutes=10)
    base = det.series["burst:n"].baseline
    night = base.expected(int((T0.replace(hour=1, minute=30)).timestamp() // 600))
    noon = base.expected(int((T0.replace(hour=12)).timestamp() // 600))
    assert night > 8 * noon


def test_cold_start_relies_on_min_count():
    det = BurstDetector(Detection(burst=RULE), None)
    det.observe(scored("new", T0 - timedelta(hours=3)))  # its first post: no history to speak of
    wave(det, "new", T0, 4)
    assert det.evaluate(["new"], T0 + timedelta(minutes=5)) == []
    wave(det, "new", T0 + timedelta(minutes=5), 6)
    (alert,) = det.evaluate(["new"], T0 + timedelta(minutes=9))
    assert alert.reasons[0] == "69 分钟内 9 条投诉，新监测对象，历史不足，尚无常态可比"


def test_per_product_rule_is_used(det):
    detection = Detection(burst=RULE, products={"b": BurstOverride(min_count=20)})
    d2 = BurstDetector(detection, None)
    for d in (d2,):
        background(d, "a")
        background(d, "b", seed=2)
        wave(d, "a", T0, 6)
        wave(d, "b", T0, 6)
    assert [e.product for e in d2.evaluate(["a", "b"], T0 + timedelta(minutes=9))] == ["a"]


def test_category_alerts_fire_with_or_without_their_product():
    det = BurstDetector(Detection(burst=RULE), None)
    background(det, "busy", per_day=150)
    background(det, "busy", per_day=1, seed=9, categories=("退保",))  # a few 退保 posts
    for i in range(8):  # 退保 bursts, the product's total barely moves
        feed(det, scored("busy", T0 + timedelta(minutes=i), categories=("退保",)))
    events = run(det, ["busy"], T0, T0 + timedelta(minutes=20))
    assert [(e.category, e.state) for e in events[:1]] == [("退保", AlertState.FIRING)]
    assert events[0].key == "burst:busy/退保"

    # A product-wide wave in one category: both series burst. The detector reports both, the
    # product's first; keeping the category quiet is the notifier's inhibit rule
    # (tests/notifier/test_inhibition.py).
    det2 = BurstDetector(Detection(burst=RULE), None)
    background(det2, "q")
    background(det2, "q", per_day=1, seed=9, categories=("理赔",))
    wave(det2, "q", T0, 8, categories=("理赔",))
    events = det2.evaluate(["q"], T0 + timedelta(minutes=9))
    assert [(e.category, e.state) for e in events] == [
        (None, AlertState.FIRING),
        ("理赔", AlertState.FIRING),
    ]
    assert "主要问题：理赔（8）" in events[0].reasons
    assert events[0].labels["categories"] == "理赔"
    assert events[1].key == "burst:q/理赔" and events[1].labels["category"] == "理赔"


def test_signals_in_reasons_and_emerging_terms(det):
    for i in range(9):
        sp = scored(
            "a",
            T0 + timedelta(minutes=i),
            source=["forum", "weibo", "tieba"][i % 3],
            collective=True,
            text="产品突然停售了 我们建了维权群",
            views=5000,
            author="same-person" if i < 2 else None,
        )
        det.observe(sp)
    (alert,) = det.evaluate(["a"], T0 + timedelta(minutes=10))
    text = " | ".join(alert.reasons)
    assert alert.burst.complainants == 8  # one person posted twice
    assert "投诉人 8 位" in text and "来自 3 个渠道" in text
    assert "9 条含集体维权用语（维权群×9）" in text
    assert "负面情绪 9/9 条" in text
    assert "公众关注 45,000" in text
    assert "新出现的词：" in text and "突然停售" in alert.labels["new_terms"]
    assert alert.severity is Severity.ORANGE  # organised, on three sites, read widely


def test_terms_are_whole_words_and_emerging_needs_background():
    found = terms("我买了安心e生后突然停售了!大家进维权群", exclude=["安心e生"])
    assert {"停售", "突然停售", "维权"} <= found
    # no fragments cut across words, nothing of the product's own name, no function words
    assert not found & {"停售了", "售了", "买了安", "生后", "安心", "安心e生", "大家", "了"}
    et = EmergingTerms(3600, 7 * 86400)
    for i in range(5):
        et.observe("全新的词语出现", i * 60.0)
    assert et.top(600.0) == []  # a brand-new product: everything is new, nothing is reported


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, Severity.BLUE),
        ({"complainants": 10}, Severity.YELLOW),
        ({"collective": 3}, Severity.YELLOW),
        ({"collective": 3, "sources": 3}, Severity.ORANGE),
        ({"complainants": 20}, Severity.ORANGE),
        ({"complainants": 40}, Severity.RED),
        ({"complainants": 10, "reach": 2_000_000}, Severity.RED),
        (
            {"complainants": 10, "collective": 5, "sources": 4, "growth": 5, "count": 30},
            Severity.ORANGE,
        ),
    ],
)
def test_severity_grading(kw, expected):
    base = dict(
        count=10,
        expected=0.1,
        per_day=2,
        p_value=1e-9,
        window=3600,
        min_count=5,
        complainants=5,
        sources=1,
    )
    s = Signals(**(base | kw))
    assert grade(s) is expected
    assert reasons(s)[0] == f"1 小时内 {s.count} 条投诉，平时约 0.1 条"


def test_restart_carries_the_wave_and_the_baseline(tmp_path):
    store = Store(tmp_path / "t.db")
    det = BurstDetector(Detection(burst=RULE), store)
    background(det, "a", store=store)
    wave(det, "a", T0, 7, store=store)
    (fired,) = det.evaluate(["a"], T0 + timedelta(minutes=8))
    store.alerts.save(fired)  # as the daemon's pipeline does with what the detector returns
    det.save_state()
    state = store.state.get(STATE_KEY)
    assert state["cursor"] == store.posts.last_rowid() > 0
    wave(det, "a", T0 + timedelta(minutes=9), 1, store=store)  # committed after the checkpoint
    store.close()

    store = Store(tmp_path / "t.db")
    det2 = BurstDetector(Detection(burst=RULE), store)
    s1, s2 = det.series["burst:a"], det2.series["burst:a"]
    assert s2.baseline.per_day() == pytest.approx(s1.baseline.per_day(), rel=1e-6)
    assert sum(s2.counts) == sum(s1.counts)  # the post after the checkpoint was caught up once
    # the open wave goes on: no second firing, the next growth is an update of the same alert
    assert all(e.id == fired.id for e in det2.evaluate(["a"], T0 + timedelta(minutes=10)))
    wave(det2, "a", T0 + timedelta(minutes=11), 3, store=store)
    events = det2.evaluate(["a"], T0 + timedelta(minutes=15))
    assert events and all(e.id == fired.id for e in events)
    for e in events:
        store.alerts.save(e)
    assert store.alerts.firing("burst:a").id == fired.id

    # without any saved state the detector learns from the posts in the store
    store.db.execute("DELETE FROM state")
    det3 = BurstDetector(Detection(burst=RULE), store)
    assert det3.series["burst:a"].baseline.per_day() > 0
    assert det3.series["burst:a"].wave is not None
    store.close()


def test_memory_is_flat():
    det = BurstDetector(Detection(burst=RULE), None)
    rng = Random(3)
    t = T0 - timedelta(days=30)
    for i in range(20000):
        t += timedelta(seconds=rng.randint(0, 240))
        det.observe(scored("m", t, text=f"第{i}号投诉 {rng.random()}", categories=("理赔",)))
        if i % 50 == 0:
            det.evaluate(["m"], t)
    s = det.series["burst:m"]
    assert len(s.details) <= s.w + 3
    assert len(det.terms["m"].terms) <= 3000


def test_naive_now_is_refused(det):
    with pytest.raises(ValueError, match="timezone-aware"):
        det.evaluate(["a"], datetime(2024, 3, 1, 12))


def test_rollback_undoes_an_evaluation_that_was_not_committed(det):
    # The pipeline rolls back when queueing the alert fails: the wave must fire again next time.
    wave(det, "a", T0, 6)
    mark = det.mark()
    (fired,) = det.evaluate(["a"], T0 + timedelta(minutes=8))
    assert det.evaluate(["a"], T0 + timedelta(minutes=9)) == [], "fired once, then quiet"
    det.rollback(mark)
    (again,) = det.evaluate(["a"], T0 + timedelta(minutes=9))
    assert again.state is AlertState.FIRING and again.key == fired.key


def test_old_and_future_posts_do_not_break_the_term_counts():
    from yujing.detector.emerging import MAX_TERMS

    et = EmergingTerms(3600, 7 * 86400)
    rng = __import__("random").Random(4)
    now = 1_750_000_000.0
    letters = "理赔退保续保扣费客服投诉维权医院住院材料审核拒绝等待通知电话短信合同条款保单"
    while len(et.terms) < MAX_TERMS - 1:  # short posts: a few terms each, the table all but full
        et.observe("".join(rng.choice(letters) for _ in range(3)), now)
    # A post 100 days old overflows the table, so the table is pruned at that post's time.
    et.observe("一个很久以前的帖子说理赔难", now - 100 * 86400)
    assert len(et.terms) <= MAX_TERMS // 2 + 40, "it was pruned"
    et.observe("日期写错成明年的帖子", now + 400 * 86400)
    assert len(et.terms) <= MAX_TERMS + 200
    et.top(now)  # reads without overflow however far the epoch moved


@pytest.mark.parametrize(
    "order",
    [
        ("wave", "late", "history"),  # the forum first, then an export with the wave and history
        ("wave", "history", "late"),
        ("history", "wave", "late"),
        ("late", "wave", "history"),
    ],
)
def test_a_wave_is_found_whatever_order_its_posts_arrive_in(order):
    """A product first seen at its wave: calls dated in a bucket the detector has already passed
    (an export that arrives minutes late) are part of the window, not of the usual level."""
    start = T0 + timedelta(seconds=35)
    groups = {
        "wave": [scored("c", start + timedelta(seconds=i)) for i in range(5)],
        "late": [scored("c", T0 - timedelta(seconds=25), source="hotline") for _ in range(9)],
        "history": [scored("c", T0 - timedelta(hours=3), source="hotline")],
    }
    det = BurstDetector(Detection(burst=RULE), None)
    for name in order:
        for sp in groups[name]:
            det.observe(sp)
    (fired,) = det.evaluate(["c"], T0 + timedelta(minutes=2))
    assert fired.state is AlertState.FIRING
    assert fired.burst.count == 14 and fired.burst.baseline < 1.0


def test_late_posts_of_a_young_series_are_learned_once_they_leave_the_window():
    """Learned as if they had come in time order, and kept pending across a restart."""
    b0 = 1000
    late = Series("k", "c", None, RULE, b0)
    late.add(b0, 5)
    late.add(b0 - 1, 9)  # before the series' first bucket, inside the window
    assert late.baseline.s == 0.0 and late.unfolded == {b0 - 1}
    restored = Series("k", "c", None, RULE, b0)
    assert restored.load(json.loads(json.dumps(late.dump())))
    in_order = Series("k", "c", None, RULE, b0 - 1)
    in_order.add(b0 - 1, 9)
    in_order.add(b0, 5)
    for s in (restored, in_order):
        s.advance(b0 + 8)  # both buckets have left the window
    assert not restored.unfolded
    assert restored.baseline.s == pytest.approx(in_order.baseline.s)
    assert restored.baseline.n == pytest.approx(in_order.baseline.n)
    assert restored.baseline.origin == in_order.baseline.origin == b0 - 1


def test_a_post_dated_far_ahead_neither_hides_the_stored_history_nor_moves_the_clock(tmp_path):
    """A store from before misdated posts were dated when fetched: one of them, a year ahead,
    must not push the history a new detector learns from out of reach."""
    store = Store(tmp_path / "t.db")
    now = datetime.now(UTC).replace(microsecond=0)
    for day in range(14):
        for hour in (3, 9):
            at = now - timedelta(days=14 - day, hours=hour)
            assert store.posts.accept(scored("a", at))
    ahead = scored("b", now + timedelta(days=365))
    ahead = replace(ahead, post=replace(ahead.post, fetched_at=now))
    assert store.posts.accept(ahead)
    det = BurstDetector(Detection(burst=RULE), store, persist=False)
    assert det.series["burst:a"].baseline.per_day() == pytest.approx(2.0, rel=0.25)
    b = det.series["burst:b"]
    assert b.head == int(now.timestamp() // RULE.bucket)  # counted when it was fetched
    store.close()


def test_the_first_complaints_ever_about_a_talked_about_product_can_be_a_wave():
    """Two weeks of questions and praise about a product, then its first complaints: twelve
    people in 24 minutes is a wave against that history, not a series too new to judge."""
    det = BurstDetector(Detection(burst=RULE), None)
    rng = Random(6)
    t = T0 - timedelta(days=14)
    while t < T0:
        if rng.random() < 4 / 144:
            feed(det, scored("q", t, sentiment=0.8))  # not complaints: mentions
        t += timedelta(minutes=10)
    assert "burst:q" not in det.series
    wave(det, "q", T0, 12, source="forum")
    events = run(det, ["q"], T0 + timedelta(minutes=5), T0 + timedelta(minutes=30))
    assert [e.state for e in events][:1] == [AlertState.FIRING]


def test_a_products_first_complaints_of_a_new_kind_can_be_a_wave():
    """A busy product's claims complaints for two weeks, then its first data-leak complaints."""
    det = BurstDetector(Detection(burst=RULE), None)
    rng = Random(7)
    t = T0 - timedelta(days=14)
    while t < T0 + timedelta(minutes=30):
        for _ in range(sum(rng.random() < 0.5 for _ in range(2))):  # about 1 per 10 minutes
            feed(det, scored("busy", t, categories=("claims",)))
        t += timedelta(minutes=10)
    wave(det, "busy", T0, 9, categories=("data_leak",))
    events = run(det, ["busy"], T0 + timedelta(minutes=5), T0 + timedelta(minutes=30))
    assert "burst:busy/data_leak" in {e.key for e in events if e.state is AlertState.FIRING}


def test_complaints_piling_up_before_a_series_can_be_judged_are_said_once(caplog):
    """A product with no posts at all before its first complaints: not judged for its first
    window, and the log says why nothing fired, once, with when it will be judged."""
    det = BurstDetector(Detection(burst=RULE), None)
    wave(det, "new", T0, 8)
    with caplog.at_level("WARNING", logger="yujing.detector"):
        events = run(det, ["new"], T0 + timedelta(minutes=8), T0 + timedelta(minutes=40))
    assert events == []
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1, said
    judged_from = format_time(T0 + timedelta(minutes=120))  # two windows on
    assert said[0] == (
        "new: 8 complaints in the last 60 min, with no history before them to judge them by; "
        f"judged from {judged_from} on (ingest past exports to give it history)"
    )


@pytest.mark.parametrize("age", [timedelta(days=10), timedelta(days=60)])
def test_one_stray_old_post_does_not_rewrite_a_young_products_history(age):
    """A product watched for a day at about 150 complaints a day, then a pinned thread from long
    ago turns up: its lone post must not teach the product weeks of silence."""
    det = BurstDetector(Detection(burst=RULE), None)
    rng = Random(8)
    t = T0 - timedelta(days=1)
    while t < T0:
        for _ in range(sum(rng.random() < 0.35 for _ in range(3))):  # about 1 per 10 minutes
            feed(det, scored("young", t))
        t += timedelta(minutes=10)
    s = det.series["burst:young"]
    run(det, ["young"], T0 - timedelta(hours=2), T0)
    before = (s.baseline.per_day(), s.baseline.origin)
    feed(det, scored("young", T0 - age))
    assert (s.baseline.per_day(), s.baseline.origin) == before


def test_a_backfill_read_newest_first_still_extends_the_history():
    det = BurstDetector(Detection(burst=RULE), None)
    rng = Random(9)
    times = []
    t = T0 - timedelta(days=10)
    while t < T0:
        if rng.random() < 4 / 144:
            times.append(t)
        t += timedelta(minutes=10)
    for at in reversed(times):  # a crawl of list pages, newest first
        feed(det, scored("back", at))
    s = det.series["burst:back"]
    assert s.baseline.origin * RULE.bucket <= (T0 - timedelta(days=9)).timestamp()


def test_a_lone_old_mention_does_not_make_a_new_products_first_complaints_a_wave():
    """A pinned thread from two years ago naming a product says nothing of the silence since:
    its first complaints are judged as a new product's, not against two years of zeros."""
    det = BurstDetector(Detection(burst=RULE), None)
    feed(det, scored("pinned", T0 - timedelta(days=730), sentiment=0.8))
    wave(det, "pinned", T0, 6)
    assert run(det, ["pinned"], T0 + timedelta(minutes=6), T0 + timedelta(minutes=40)) == []
    assert det.series["burst:pinned"].baseline.origin == T0.timestamp() // RULE.bucket


def test_the_words_say_the_span_the_count_covers_never_an_hour_for_65_minutes() -> None:
    """The count holds the window's whole buckets and the current one so far: an evaluation
    five minutes into a bucket counts 65 minutes, and says so."""
    from yujing.detector.burst.severity import Signals, reasons

    base = dict(count=9, expected=0.5, per_day=1.0, p_value=1e-6, window=3600.0, min_count=5)
    assert reasons(Signals(**base, covered=3900.0))[0].startswith("65 分钟内 9 条投诉")
    assert reasons(Signals(**base, covered=3600.0))[0].startswith("1 小时内 9 条投诉")
