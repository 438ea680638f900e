from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from detector.burst import EXPECTED_FLOOR, BurstDetector, Measure, severity_for
from detector.normalize import dedup_key
from yujing.config import BurstOverride, BurstRule, Detection
from yujing.records import AlertState, ScoredPost, Severity
from yujing.storage import Store

from .conftest import make_post

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
RULE = BurstRule(window=3600, baseline=7 * 86400, min_count=5, ratio=3.0)
_ids = count()


def add(
    store: Store,
    product: str,
    at: datetime,
    *,
    author: str | None = None,
    source: str = "forum",
    collective: bool = False,
    sentiment: float = 0.1,
) -> None:
    n = next(_ids)
    post = make_post(
        f"complaint {n}", source=source, native_id=str(n), author=author or f"u{n}", at=at
    )
    scored = ScoredPost(post, (product,), (), sentiment, collective)
    assert store.accept(scored, dedup_key(post.title, post.text))


def background(store: Store, product: str) -> None:
    """Two posts a day for the week before T0, none in the hour before it."""
    for k in range(14):
        add(store, product, T0 - timedelta(hours=12 * k + 3))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.db")
    background(s, "a")
    background(s, "b")
    yield s
    s.close()


@pytest.fixture
def detector(store):
    return BurstDetector(Detection(burst=RULE), store)


def wave(store: Store, product: str, start: datetime, n: int, **kw) -> None:
    for i in range(n):
        add(store, product, start + timedelta(minutes=i), **kw)


def test_quiet_products_with_background_do_not_fire(store, detector):
    for minutes in (0, 30, 60 * 3 + 1, 60 * 24):
        assert detector.evaluate(["a", "b"], T0 + timedelta(minutes=minutes)) == []
    assert store.alerts() == []


def test_measure_uses_window_and_scaled_baseline(detector):
    m = detector.measure("a", T0)
    assert m.count == 0
    assert m.usual == pytest.approx(14 / 168)
    assert m.expected == EXPECTED_FLOOR
    assert not m.hot


def test_wave_lifecycle(store, detector):
    # a wave: 6 people on 2 sites in 6 minutes
    wave(store, "a", T0, 4, source="forum")
    wave(store, "a", T0 + timedelta(minutes=4), 2, source="weibo", collective=True)
    wave(store, "b", T0 - timedelta(hours=2), 1)  # b keeps its usual trickle

    t1 = T0 + timedelta(minutes=10)
    (fired,) = detector.evaluate(["a", "b"], t1)
    assert fired.state is AlertState.FIRING
    assert fired.key == "burst:a"
    assert fired.id == "burst:a@20240301T121000Z"
    assert (fired.product, fired.kind, fired.category) == ("a", "burst", None)
    assert fired.count == 6
    assert fired.complainants == 6
    assert fired.sources == 2
    assert fired.severity is Severity.BLUE
    assert fired.baseline == pytest.approx(14 / 168, abs=1e-3)
    assert fired.score == pytest.approx(6 / EXPECTED_FLOOR)
    assert fired.window_start == t1 - timedelta(hours=1) and fired.window_end == t1
    assert fired.started_at == t1 == fired.updated_at
    assert fired.reasons[:3] == (
        "6 posts in 1 h against a usual 0.1",
        "6 distinct complainants",
        "2 sources",
    )
    assert "collective-action language in 2 posts" in fired.reasons
    assert "negative tone in 6 posts" in fired.reasons
    assert fired.labels == {"product": "a", "kind": "burst", "severity": "blue"}
    assert len(fired.samples) == 5
    assert {s["source"] for s in fired.samples} <= {"forum", "weibo"}
    assert store.firing_alert("burst:a") == fired

    # nothing new: no event
    assert detector.evaluate(["a", "b"], t1 + timedelta(minutes=1)) == []

    # one more post from someone already counted: an update, same severity
    add(store, "a", T0 + timedelta(minutes=11), author="u-repeat")
    add(store, "a", T0 + timedelta(minutes=12), author="u-repeat")
    t2 = T0 + timedelta(minutes=15)
    (update,) = detector.evaluate(["a"], t2)
    assert update.id == fired.id and update.started_at == fired.started_at
    assert (update.count, update.complainants) == (8, 7)
    assert update.severity is Severity.BLUE
    assert update.updated_at == t2

    # a restart (new detector, store reopened) carries on the same wave
    path = store.path
    store.close()
    store = Store(path)
    detector = BurstDetector(Detection(burst=RULE), store)
    assert detector.evaluate(["a"], t2) == []

    # the wave grows to 10+ people: escalation of the same alert
    wave(store, "a", T0 + timedelta(minutes=16), 4)
    t3 = T0 + timedelta(minutes=25)
    (escalated,) = detector.evaluate(["a", "b"], t3)
    assert escalated.id == fired.id
    assert escalated.count == 12 and escalated.complainants == 11
    assert escalated.severity is Severity.YELLOW
    assert escalated.severity.rank > update.severity.rank
    assert escalated.labels["severity"] == "yellow"

    # the earliest posts age out of the window: the count slides down, which is not news
    t4 = T0 + timedelta(minutes=64)
    assert detector.measure("a", t4).count < 12 and detector.measure("a", t4).hot
    assert detector.evaluate(["a"], t4) == []
    assert store.firing_alert("burst:a").severity is Severity.YELLOW

    # time passes with no posts: back to baseline, resolved
    t5 = T0 + timedelta(hours=2)
    (resolved,) = detector.evaluate(["a", "b"], t5)
    assert resolved.id == fired.id
    assert resolved.state is AlertState.RESOLVED
    assert resolved.resolved_at == t5 == resolved.updated_at
    assert resolved.count == 12 and resolved.severity is Severity.YELLOW  # the wave's peak
    # the wave itself has moved into the baseline: (14 + 12) / 168
    assert resolved.reasons[-1] == "back to usual: 0 posts in 1 h against a usual 0.2"
    assert store.firing_alert("burst:a") is None
    assert detector.evaluate(["a", "b"], t5 + timedelta(minutes=5)) == []

    # a second wave next day is a new alert
    wave(store, "a", T0 + timedelta(days=1), 5)
    t6 = T0 + timedelta(days=1, minutes=6)
    (second,) = detector.evaluate(["a", "b"], t6)
    assert second.state is AlertState.FIRING
    assert second.id == "burst:a@20240302T120600Z" != fired.id
    assert second.count == 5
    # the first wave is in the baseline now; the two oldest background posts have left it
    assert second.baseline == pytest.approx((12 + 12) / 168, abs=1e-3)

    stored = {a.id: a.state for a in store.alerts()}
    assert stored == {fired.id: AlertState.RESOLVED, second.id: AlertState.FIRING}
    # b, with the same background, never fired
    assert all(a.product == "a" for a in store.alerts())


def test_too_few_posts_do_not_fire_however_sudden(store, detector):
    wave(store, "a", T0, 4)
    assert detector.evaluate(["a"], T0 + timedelta(minutes=5)) == []


def test_busy_product_needs_ratio_times_its_usual(tmp_path):
    store = Store(tmp_path / "t.db")
    # a product talked about 4 times an hour all week
    for k in range(7 * 24 * 4):
        add(store, "busy", T0 - timedelta(hours=1, minutes=15 * k + 1))
    detector = BurstDetector(Detection(burst=RULE), store)
    wave(store, "busy", T0 - timedelta(minutes=30), 10)  # 10 >= min_count but < 3 * 4
    assert detector.evaluate(["busy"], T0) == []
    wave(store, "busy", T0 - timedelta(minutes=20), 3)  # 13 >= 12
    (alert,) = detector.evaluate(["busy"], T0)
    assert alert.count == 13
    assert alert.baseline == pytest.approx(4.0, abs=0.01)
    assert alert.reasons[0] == "13 posts in 1 h against a usual 4.0"


def test_per_product_rule_is_used(store):
    detection = Detection(burst=RULE, products={"b": BurstOverride(min_count=20)})
    detector = BurstDetector(detection, store)
    wave(store, "a", T0, 6)
    wave(store, "b", T0, 6)
    events = detector.evaluate(["a", "b"], T0 + timedelta(minutes=10))
    assert [e.product for e in events] == ["a"]


def test_collective_and_spread_raise_severity(store, detector):
    sources = ["forum", "weibo", "tieba"]
    for i in range(6):
        add(store, "a", T0 + timedelta(minutes=i), source=sources[i % 3], collective=True)
    (alert,) = detector.evaluate(["a"], T0 + timedelta(minutes=10))
    assert alert.severity is Severity.ORANGE
    assert alert.sources == 3


def test_products_repeated_in_input_are_evaluated_once(store, detector):
    wave(store, "a", T0, 6)
    assert len(detector.evaluate(["a", "a"], T0 + timedelta(minutes=10))) == 1


def test_naive_now_is_refused(detector):
    with pytest.raises(ValueError, match="timezone-aware"):
        detector.evaluate(["a"], datetime(2024, 3, 1, 12))


def _measure(**kw) -> Measure:
    base = dict(
        product="a",
        rule=RULE,
        window_start=T0,
        window_end=T0,
        count=50,
        complainants=5,
        sources=1,
        collective=0,
        negative=0,
        reach=0,
        usual=0.0,
    )
    return Measure(**(base | kw))


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, Severity.BLUE),
        ({"complainants": 10}, Severity.YELLOW),
        ({"collective": 3}, Severity.YELLOW),
        ({"collective": 3, "sources": 3}, Severity.ORANGE),
        ({"complainants": 20}, Severity.ORANGE),
        ({"complainants": 40}, Severity.RED),
    ],
)
def test_severity_rule(kw, expected):
    assert severity_for(_measure(**kw)) is expected
