"""Events inside a wave: a wave telling three stories comes out as three labelled events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yujing.detector.events import EventClusters, label_words, read_events
from yujing.detector.events.tuning import bcubed, held_out
from yujing.records import Post, ScoredPost

T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[1] / "data" / "events.tsv"

THYROID = [
    "康宁重疾险说我投保前有甲状腺结节没告知，甲状腺癌拒赔了",
    "确诊甲状腺癌，康宁以甲状腺结节未如实告知为由拒赔，还解除了合同",
    "体检报告上的甲状腺结节是投保后才查出来的，康宁硬说我隐瞒病史拒赔",
    "甲状腺结节三级，投保时业务员说不用写，现在甲状腺癌理赔被拒",
    "又一个甲状腺结节拒赔的，康宁重疾说未如实告知，合同直接解除",
    "我妈甲状腺癌手术后申请理赔，康宁翻出五年前的甲状腺结节记录拒赔",
    "甲状腺结节算什么既往症？康宁拒赔甲状腺癌，保费白交了",
    "康宁重疾甲状腺癌拒赔，理由是投保前B超有甲状腺结节",
    "甲状腺结节未告知被拒赔，业务员当年根本没问过健康告知",
    "求助：甲状腺癌被康宁拒赔，说投保前就有甲状腺结节",
]
PAPERS = [
    "康宁理赔材料让我补交了六次，每次都说缺一个新的证明",
    "理赔材料反复补交，今天又让补病理报告原件，医院只给复印件",
    "交了理赔材料一个月，康宁又要补交住院病历和费用清单",
    "补交材料补到崩溃，康宁每次只说一样，下次再要别的",
    "理赔员让我第五次补交材料，出院小结已经交过三遍了",
    "康宁重疾理赔要补交的材料没完没了，病历、发票、证明轮着要",
    "材料补交了四回还在审核，打电话只说材料不全再补交",
    "康宁让补交三年前的门诊病历，医院早就找不到了，理赔卡住",
    "为了理赔补交材料跑了七趟医院，康宁还说材料不齐",
    "理赔材料补交一次又一次，康宁就是拖着不赔",
]
SURRENDER = [
    "康宁退保只退了现金价值两千，交了三万保费，损失太大",
    "退保才知道现金价值这么低，交了五年康宁只退一小部分",
    "康宁重疾退保损失两万多，业务员当初说随时退保不亏",
    "想退保，康宁说现金价值只有已交保费的三成",
    "退保退了个寂寞，交了四万现金价值才八千，康宁太坑",
    "康宁退保现金价值低得离谱，买的时候没人说退保会亏这么多",
    "交了六年康宁，退保只拿回现金价值一万出头",
    "业务员离职后没人管，想退保康宁只给现金价值，血亏",
    "康宁退保到手的现金价值连已交保费的一半都不到",
    "急用钱退保，康宁现金价值只退了三千多，交了两万",
]


def _post(n: int, text: str, at: datetime, source: str = "forum") -> ScoredPost:
    post = Post(source, f"https://example.invalid/{n}", str(n), f"author{n}", "", text, at, at)
    return ScoredPost(post, ("kangning",), (), 0.1, complaint=True)


def _wave() -> list[tuple[str, ScoredPost]]:
    stories = {"thyroid": THYROID, "papers": PAPERS, "surrender": SURRENDER}
    # The stories interleave, as a wave brings them: one post of each in turn.
    out = []
    for i in range(10):
        for story, texts in stories.items():
            n = len(out)
            source = "weibo" if story == "thyroid" and i % 2 else "forum"
            out.append((story, _post(n, texts[i], T0 + timedelta(minutes=5 * n), source)))
    return out


def _clusters() -> EventClusters:
    return EventClusters({"kangning": ["康宁重疾险", "康宁重疾", "康宁"]})


def test_a_wave_of_three_stories_is_three_labelled_events_with_their_first_posts():
    clusters = _clusters()
    wave = _wave()
    placed = {story: set() for story, _ in wave}
    for story, post in wave:
        placed[story].add(clusters.add(post, "kangning").id)
    # Each story is one event of its own.
    assert all(len(ids) == 1 for ids in placed.values()), placed
    assert len({next(iter(ids)) for ids in placed.values()}) == 3
    events = {story: clusters.events[next(iter(ids))] for story, ids in placed.items()}
    assert {e.posts for e in events.values()} == {10}
    assert len(events["thyroid"].people) == 10
    assert events["thyroid"].channels == {"forum": 5, "weibo": 5}
    # 首发: the first post of each story, its source and time.
    assert events["thyroid"].first.text == THYROID[0]
    assert events["papers"].first.at == T0 + timedelta(minutes=5)
    assert events["surrender"].first.url == "https://example.invalid/2"
    # Labelled by what sets each apart, never by the product's own name.
    labels = {s: label_words(e, events.values()) for s, e in events.items()}
    assert any("甲状腺" in w for w in labels["thyroid"]), labels
    assert any("补交" in w for w in labels["papers"]), labels
    assert any("现金价值" in w or "退保" in w for w in labels["surrender"]), labels
    assert not any("康宁" in w for ws in labels.values() for w in ws)
    assert clusters.open_events("kangning")[0].posts == 10


def test_events_are_the_same_after_a_restart():
    wave = _wave()
    straight = _clusters()
    ids_straight = [straight.add(p, "kangning").id for _, p in wave]
    first, resumed = _clusters(), _clusters()
    ids = [first.add(p, "kangning").id for _, p in wave[:17]]
    resumed.restore(json.loads(json.dumps(first.to_dict(), ensure_ascii=False)))
    ids += [resumed.add(p, "kangning").id for _, p in wave[17:]]
    assert ids == ids_straight
    assert resumed.to_dict() == straight.to_dict()


def test_an_event_quiet_for_weeks_is_closed_and_a_new_post_opens_another():
    clusters = _clusters()
    old = clusters.add(_post(1, THYROID[0], T0), "kangning")
    again = clusters.add(_post(2, THYROID[1], T0 + timedelta(days=30)), "kangning")
    assert again.id != old.id
    assert [e.id for e in clusters.open_events("kangning")] == [again.id]


def test_a_post_without_words_places_nowhere():
    assert _clusters().add(_post(1, "！！！", T0), "kangning") is None


def test_b_cubed_scores_a_known_clustering():
    # Gold: a a a b b; found puts one b with the a's.
    p, r, f1 = bcubed(["x", "x", "x", "x", "y"], ["a", "a", "a", "b", "b"])
    assert round(p, 4) == round((3 * 3 / 4 + 1 / 4 + 1) / 5, 4)
    assert round(r, 4) == round((3 * 1 + 1 / 2 + 1 / 2) / 5, 4)
    assert round(f1, 4) == round(2 * p * r / (p + r), 4)
    assert bcubed(["x", "y"], ["a", "b"]) == (1.0, 1.0, 1.0)


def test_the_labelled_set_names_file_and_line_of_a_bad_row(tmp_path):
    good = read_events(DATA)
    assert len(good) >= 2000
    assert len({r.event for r in good if r.event != "none"}) >= 20
    assert {r.split for r in good} == {"train", "held"}
    assert all(held_out(r.text) == (r.split == "held") for r in good)
    bad = tmp_path / "events.tsv"
    bad.write_text(
        "# comment\nevent\tproduct\tchannel\tsplit\ttext\na\tp\t微博\ttrain\t一\nb\tp\t微博\t二\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"events\.tsv:4: not five fields"):
        read_events(bad)


def test_events_gone_quiet_are_closed_and_leave_the_saved_state():
    clusters = _clusters()
    first = clusters.add(_post(0, THYROID[0], T0), "kangning")
    assert [e.id for e in clusters.open_events("kangning", T0 + timedelta(days=30))] == []
    # A month of posts of another story: the thyroid event, never met again, is forgotten.
    for n in range(1, 300):
        at = T0 + timedelta(days=30, minutes=n)
        clusters.add(_post(n, SURRENDER[n % len(SURRENDER)], at), "kangning")
    assert first.id not in clusters.events
    assert first.id not in json.dumps(clusters.to_dict())
    assert clusters.open_events("kangning", T0 + timedelta(days=31))
