"""A group is people: a 群体投诉 needs several complainants; one person is a 同一用户反复投诉.

Named authors and callers are people; a call without a caller's number is one person; a post
without any author is never one, but adds to a group's count once people make it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from yujing.alerts import KINDS, AlertEvent, AlertState, EventKind, kind_label
from yujing.config import BurstOverride, ConfigError, Detection, load_config
from yujing.config.labels import label_values, matcher_problem
from yujing.crawlers.inbox import Transcript, to_post
from yujing.detector.burst import BurstDetector
from yujing.detector.details import Details
from yujing.notifier.render import alert_text, alert_view
from yujing.notifier.render import slack as render_slack
from yujing.records import ScoredPost
from yujing.store import Store

from .test_burst import RULE, T0, background, run, scored

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def det() -> BurstDetector:
    d = BurstDetector(Detection(burst=RULE), None)
    background(d, "a")
    return d


def anonymous(sp: ScoredPost) -> ScoredPost:
    return replace(sp, post=replace(sp.post, author=None))


def kinds(events) -> list[tuple[str, AlertState]]:
    return [(e.kind, e.state) for e in events]


def test_one_persons_twenty_complaints_are_one_repeat_alert_and_no_group(det):
    for i in range(20):  # twenty complaints in ten minutes, one account
        det.observe(scored("a", T0 + timedelta(seconds=30 * i), author="angry"))
    events = run(det, ["a"], T0 + timedelta(minutes=13), T0 + timedelta(hours=3))
    assert [e for e in events if e.kind == "burst"] == [], "one person is not a group"
    fired = [e for e in events if e.state is AlertState.FIRING]
    assert kinds(fired) == [("repeat", AlertState.FIRING)], "one alert, not one per evaluation"
    assert fired[0].reasons == ("同一用户 1 小时内投诉 20 条", "仅 1 人，不是群体投诉")
    assert fired[0].labels == {"product": "a", "kind": "repeat"}
    assert fired[0].annotations["author"] == "angry"
    assert fired[0].id == "repeat:a/angry@20240301T121000Z", "named after its bucket"
    [resolved] = [e for e in events if e.state is AlertState.RESOLVED]
    assert resolved.id == fired[0].id
    assert resolved.reasons[-1] == "已停止：1 小时内没有该用户新的投诉（最多时 1 小时内 20 条）"


def test_a_person_who_comes_back_after_a_quiet_spell_is_a_new_repeat_alert(det):
    events = []
    for start in (T0, T0 + timedelta(hours=4)):
        for i in range(6):
            det.observe(scored("a", start + timedelta(minutes=i), author="angry"))
        events += run(det, ["a"], start + timedelta(minutes=10), start + timedelta(hours=3))
    repeat = [e for e in events if e.kind == "repeat"]
    assert kinds(repeat) == [("repeat", s) for s in (AlertState.FIRING, AlertState.RESOLVED)] * 2
    assert repeat[0].id != repeat[2].id


def test_repeat_alerts_can_be_turned_off():
    d = BurstDetector(Detection(burst=RULE.model_copy(update={"repeat_posts": 0})), None)
    background(d, "a")
    for i in range(20):
        d.observe(scored("a", T0 + timedelta(seconds=30 * i), author="angry"))
    assert run(d, ["a"], T0 + timedelta(minutes=10), T0 + timedelta(hours=2)) == []


def test_three_people_are_a_group(det):
    for i in range(6):
        det.observe(scored("a", T0 + timedelta(minutes=i), author=f"p{i % 3}"))
    [fired] = det.evaluate(["a"], T0 + timedelta(minutes=8))
    assert fired.kind == "burst" and fired.burst.complainants == 3
    assert "投诉人 3 位" in fired.reasons


def test_two_people_are_not_a_group_by_default(det):
    for i in range(8):
        det.observe(scored("a", T0 + timedelta(minutes=i), author=f"p{i % 2}"))
    events = run(det, ["a"], T0 + timedelta(minutes=8), T0 + timedelta(hours=1))
    assert [e.kind for e in events] == [], (
        "two people, four posts each: neither a group nor a repeat"
    )


def test_anonymous_posts_alone_are_never_a_group_and_the_log_says_why_once(det, caplog):
    for i in range(30):
        det.observe(anonymous(scored("a", T0 + timedelta(minutes=i))))
    with caplog.at_level("INFO", logger="yujing.detector"):
        assert run(det, ["a"], T0 + timedelta(minutes=10), T0 + timedelta(hours=2)) == []
    held = [r.getMessage() for r in caplog.records if "not a group complaint" in r.getMessage()]
    assert held == [
        "a: 20 complaints in the last 60 min from 0 complainant(s) and 20 anonymous post(s); "
        "not a group complaint until 3 people complain"
    ]


def test_anonymous_posts_add_to_a_group_that_people_make(det):
    for i in range(5):
        det.observe(anonymous(scored("a", T0 + timedelta(minutes=i))))
    assert det.evaluate(["a"], T0 + timedelta(minutes=6)) == [], "anonymous alone"
    for i in range(3):
        det.observe(scored("a", T0 + timedelta(minutes=7 + i), author=f"p{i}"))
    [fired] = det.evaluate(["a"], T0 + timedelta(minutes=12))
    assert fired.kind == "burst" and fired.burst.count == 8, "the anonymous posts count"
    assert fired.burst.complainants == 3
    assert "投诉人 3 位，另有匿名 5 条" in fired.reasons


def test_a_late_hotline_export_without_caller_numbers_is_a_wave(det):
    # The detector has been looking all along; the calls of the last 45 minutes come in one file.
    assert run(det, ["a"], T0 - timedelta(hours=1), T0 + timedelta(minutes=45)) == []
    for i in range(30):
        call = Transcript(
            text="安心e生拒赔，我要投诉", native_id=f"c{i}", line=i + 2,
            published_at=T0 + timedelta(minutes=1.5 * i),
        )  # fmt: skip
        post = to_post(call, source="hotline", file="calls.csv", salt="s")
        assert post.author is None
        det.observe(ScoredPost(post, ("a",), (), 0.1))
    [fired] = det.evaluate(["a"], T0 + timedelta(minutes=50))
    assert fired.kind == "burst" and fired.burst.complainants == 30
    assert "投诉人 30 位（含来电 30 通，未留号码，每通计一位）" in fired.reasons


def test_min_people_is_set_per_product():
    detection = Detection(burst=RULE, products={"b": BurstOverride(min_people=4)})
    assert detection.rule_for("a").min_people == 3 and detection.rule_for("b").min_people == 4
    d = BurstDetector(detection, None)
    for product in ("a", "b"):
        background(d, product)
        for i in range(6):
            d.observe(scored(product, T0 + timedelta(minutes=i), author=f"{product}{i % 3}"))
    events = d.evaluate(["a", "b"], T0 + timedelta(minutes=8))
    assert [(e.product, e.kind) for e in events] == [("a", "burst")]


def test_one_person_cannot_make_a_busy_products_window_hot(det):
    background(det, "busy", per_day=150, seed=5)  # a post every ten minutes, each its own author
    events = []
    for step in range(-12, 13):  # the usual chatter goes on, two hours either side of T0
        at = T0 + timedelta(minutes=10 * step)
        det.observe(scored("busy", at))
        if step == 0:
            for i in range(30):  # thirty in ten minutes from one account
                det.observe(scored("busy", at + timedelta(seconds=20 * i), author="angry"))
        events += det.evaluate(["busy"], at + timedelta(minutes=9))
    assert [e.kind for e in events if e.state is AlertState.FIRING] == ["repeat"]


def test_a_replayed_counts_series_has_no_people_and_is_judged_on_its_counts():
    d = BurstDetector(Detection(burst=RULE), None)
    for day in range(14):
        d.observe_count("a", T0 - timedelta(days=14 - day), 1)
    d.observe_count("a", T0, 9)
    [fired] = d.evaluate(["a"], T0 + timedelta(minutes=5))
    assert fired.kind == "burst"


def test_an_open_repeat_alert_survives_a_restart(tmp_path):
    store = Store(tmp_path / "y.db")
    d = BurstDetector(Detection(burst=RULE), store)
    for i in range(6):
        sp = scored("a", T0 + timedelta(minutes=i), author="angry")
        assert store.posts.accept(sp)
    d.catch_up()
    [fired] = d.evaluate(["a"], T0 + timedelta(minutes=8))
    store.alerts.save(fired)
    d.save_state()
    again = BurstDetector(Detection(burst=RULE), store)
    assert again.evaluate(["a"], T0 + timedelta(minutes=9)) == [], "not fired twice"
    [resolved] = again.evaluate(["a"], T0 + timedelta(hours=2))
    assert (resolved.id, resolved.state) == (fired.id, AlertState.RESOLVED)
    store.close()


def test_details_keep_posts_per_person_and_calls_across_a_save():
    d = Details()
    for author in ("x", "x", "y"):
        d.add(scored("a", T0, author=author), [])
    d.add(anonymous(scored("a", T0)), [])
    call = to_post(
        Transcript(text="投诉", native_id="c", line=None, published_at=T0),
        source="hotline", file="f.csv", salt="s",
    )  # fmt: skip
    d.add(ScoredPost(call, ("a",), (), 0.1), [])
    back = Details.load(d.dump())
    assert (back.complainants, back.calls, back.anonymous) == (3, 1, 1)
    assert back.busiest(2) == [("x", 2)]
    old = d.dump()
    old["a"] = sorted(old.pop("A"))  # saved before posts were counted per author
    assert Details.load(old).authors == {"x": 1, "y": 1}


def test_the_default_config_sets_min_people_and_passes_its_check():
    config = load_config(ROOT / "config" / "yujing.yaml")
    rule = config.detection.burst
    assert (rule.min_people, rule.repeat_posts) == (3, 5)


def test_alert_kinds_and_route_labels_agree():
    values = label_values([], [])
    assert values["kind"] == tuple(KINDS)
    config = load_config(ROOT / "config" / "yujing.yaml")
    assert matcher_problem("kind=repeat", config) is None
    assert "did you mean 'repeat'" in (matcher_problem("kind=repaet", config) or "")


def test_a_repeat_alert_reads_as_its_own_kind_in_every_message(det):
    for i in range(6):
        det.observe(scored("a", T0 + timedelta(minutes=i), author="angry"))
    [fired] = det.evaluate(["a"], T0 + timedelta(minutes=8))
    event = AlertEvent(EventKind.FIRING, fired)
    assert alert_view(event, names={"a": "安心e生"}).title == "【蓝色预警】安心e生 同一用户反复投诉"
    text = alert_text(alert_view(event))
    assert "同一用户 1 小时内投诉 6 条" in text and "数量：" not in text, "no burst counts"
    slack = render_slack.message(alert_view(event))
    assert slack["blocks"][0]["text"]["text"].endswith("同一用户反复投诉")
    assert kind_label("something-new") == "投诉异常"


@pytest.mark.parametrize(
    "detection",
    [
        "detection:\n  burst:\n    min_people: 0\n",
        "detection:\n  products:\n    a: {min_people: 0}\n",
        "detection:\n  burst:\n    repeat_posts: -1\n",
    ],
)
def test_check_config_refuses_an_impossible_people_threshold(tmp_path, detection):
    path = tmp_path / "y.yaml"
    path.write_text("products:\n  - {id: a, name: 甲产品}\n" + detection, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "min_people" in str(info.value) or "repeat_posts" in str(info.value)
    assert f"{path}:" in str(info.value), "names the file and line"


def test_people_beyond_the_remembered_are_still_counted_when_buckets_merge(monkeypatch):
    import yujing.detector.details as details

    monkeypatch.setattr(details, "MAX_AUTHORS", 3)
    a, b = Details(), Details()
    for author in ("p1", "p2", "p2"):
        a.add(scored("a", T0, author=author), [])
    for author in ("p2", "p3", "p4", "p5"):
        b.add(scored("a", T0, author=author), [])
    assert (b.complainants, b.overflow) == (4, 1)
    a.merge(b)
    assert a.authors == {"p1": 1, "p2": 3, "p3": 1} and a.overflow == 2
    assert a.complainants == 5 and a.posts == 7


def test_a_counted_post_amended_or_taken_back_moves_between_people_and_anonymous():
    d = Details()
    feed = anonymous(scored("a", T0, author="x"))
    d.add(feed, [])
    named = replace(
        feed, post=replace(feed.post, author="老王", reach=replace(feed.post.reach, views=900))
    )
    d.amend(feed, named)
    assert (d.posts, d.complainants, d.anonymous, d.reach) == (1, 1, 0, 900)
    assert d.texts[feed.text_key[:12]] == {"老王"}, "the text's account is known now"
    second = anonymous(scored("a", T0))
    d.add(second, ["维权群"])
    d.remove(second, ["维权群"])
    assert (d.posts, d.complainants, d.anonymous, d.collective, d.terms) == (1, 1, 0, 0, {})
