"""A burst counts complaints by people: a praise campaign in people's own words raises nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from yujing.app.pipeline import Pipeline
from yujing.config import load_config
from yujing.detector.mentions import is_complaint
from yujing.records import Post, ScoredPost, hash_author, post_id
from yujing.store import Store

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)

PRAISE_OPENERS = ["真心推荐", "必须点赞", "说句公道话", "给大家分享一下", "没想到", "实话实说"]
PRAISE_BODIES = [
    "{p}理赔速度太快了，三天就到账",
    "{p}的客服态度特别好，耐心解答了半小时",
    "买了{p}两年，住院报销一点没卡",
    "{p}性价比很高，家里人都买了",
    "{p}线上理赔很方便，拍照上传就行",
    "朋友推荐的{p}，确实靠谱，服务周到",
    "{p}续保顺利，保费也合理",
    "{p}的理赔员主动联系我，很贴心",
]
PRAISE_ENDINGS = ["", "，点个赞！", "，值得信赖。", "，推荐！", "，很满意。", "，五星好评"]
COMPLAINTS = [
    "{p}理赔被拒，说我有既往症，明明投保时没问",
    "{p}拖了两个月不赔，客服一直推脱",
    "买{p}时业务员说什么都保，现在拒赔，这是销售误导",
    "{p}突然不让续保了，生病了才停售，太坑了",
]
WHO = ["我妈", "我爸", "我自己", "我老婆", "孩子", "我同事", "我"]
DAYS = ["上周", "昨天", "上个月", "前天", "今年三月", "刚刚"]


def complaint(rng: Random, product: str, i: int) -> str:
    """A complaint in someone's own words: the same grievance, told differently."""
    return f"{rng.choice(DAYS)}{rng.choice(WHO)}：" + COMPLAINTS[i % 4].format(p=product)


def post(n: int, at: datetime, text: str) -> Post:
    return Post(
        source="forum",
        url=f"https://bbs.example.cn/t/{n}",
        id=post_id("forum", f"https://bbs.example.cn/t/{n}"),
        author=hash_author(f"user{n}", "test-salt"),
        title="",
        text=text,
        published_at=at,
        fetched_at=at,
    )


def pipeline(tmp_path: Path) -> tuple[Pipeline, Path]:
    config = load_config(ROOT / "config" / "yujing.yaml")
    sent = tmp_path / "sent.jsonl"
    config = config.model_copy(
        update={
            "storage": config.storage.model_copy(update={"path": tmp_path / "y.db"}),
            "alerts_file": None,
            "notify": config.notify.model_validate(
                {
                    "receivers": [{"name": "file", "type": "file", "path": str(sent)}],
                    "route": {"receiver": "file"},
                }
            ),
        }
    )
    return Pipeline(config, Store(config.storage.path)), sent


def test_praise_is_not_a_complaint_and_a_claims_complaint_is() -> None:
    p = post(1, T0, "x")
    assert not is_complaint(ScoredPost(p, ("a",), (), 0.9))  # praise
    assert not is_complaint(ScoredPost(p, ("a",), (), 0.5))  # a neutral question
    assert is_complaint(ScoredPost(p, ("a",), (), 0.2))  # negative tone
    assert is_complaint(ScoredPost(p, ("a",), ("claims",), 0.5))  # a complaint category
    assert not is_complaint(ScoredPost(p, ("a",), ("claims",), 0.9))  # praised while naming it


def test_a_praise_campaign_raises_nothing_while_a_complaint_wave_fires(tmp_path: Path) -> None:
    pipe, sent = pipeline(tmp_path)
    rng = Random(11)
    n = 0
    t = T0 - timedelta(days=14)
    while t < T0:  # two weeks of ordinary life: a complaint now and then about each product
        for name in ("安心e生", "福满堂"):
            if rng.random() < 1.5 / 144:
                n += 1
                pipe.accept(post(n, t, complaint(rng, name, n)))
        t += timedelta(minutes=10)
    assert pipe.intake.known == 0 and pipe.intake.linked < 5, "complainants are people, not copies"
    pipe.detect(T0)
    # 30 people praise 福满堂 within the hour, each in their own words; 10 complain of 安心e生.
    for i in range(30):
        n += 1
        text = (
            rng.choice(PRAISE_OPENERS)
            + "，"
            + rng.choice(PRAISE_BODIES).format(p="福满堂")
            + rng.choice(PRAISE_ENDINGS)
        )
        pipe.accept(post(n, T0 + timedelta(minutes=2 * i), text))
    for i in range(10):
        n += 1
        pipe.accept(post(n, T0 + timedelta(minutes=5 * i), complaint(rng, "安心e生", i)))
    events = []
    for minute in range(10, 180, 10):
        events += pipe.detect(T0 + timedelta(minutes=minute), all_products=True)
        pipe.notifier.deliver_due(T0 + timedelta(minutes=minute))  # as the daemon delivers
    pipe.notifier.deliver_due()
    lines = [json.loads(line) for line in sent.read_text(encoding="utf-8").splitlines()]
    told = [a for notification in lines for a in notification["alerts"]]
    assert {e.alert.product for e in events} == {"anxin-e"}
    assert {e["product"] for e in told} == {"anxin-e"}
    assert told[0]["event"] == "firing" and told[0]["complainants"] >= 5
    # The praise counted as mentions only: attention, never a complaint.
    assert pipe.detector.mentions.between("fumantang", 0, 10**12) >= 30
    assert "burst:fumantang" not in {a.key for a in pipe.store.alerts.all()}
    pipe.store.close()


# Read negative in tone by the sentiment model (0.35), so the rule before the gate counted it.
ANNOUNCEMENT = "安心e生医疗险重磅上线，免赔额降至五千元"


class _Unjudged:
    """Understanding as it was before the gate: the record carries no verdict."""

    @staticmethod
    def is_complaint(*_: object) -> None:
        return None


def reprinted_by_20_accounts(tmp_path: Path, gate: object | None = None) -> tuple[set[str], int]:
    """Products alerted, and mentions of anxin-e, when 20 accounts reprint one announcement
    after two weeks of ordinary complaints: through the daemon's intake, understanding and
    ``BurstDetector`` as it drives them."""
    pipe, _ = pipeline(tmp_path)
    if gate is not None:
        pipe.understander.gate = gate  # type: ignore[assignment]
    rng = Random(5)
    n = 0
    t = T0 - timedelta(days=14)
    while t < T0:
        if rng.random() < 1.5 / 144:
            n += 1
            pipe.accept(post(n, t, complaint(rng, "安心e生", n)))
        t += timedelta(minutes=10)
    pipe.detect(T0)
    for i in range(20):
        n += 1
        pipe.accept(post(n, T0 + timedelta(minutes=2 * i), ANNOUNCEMENT))
    events = []
    for minute in range(10, 180, 10):
        events += pipe.detect(T0 + timedelta(minutes=minute), all_products=True)
    mentions = pipe.detector.mentions.between("anxin-e", 0, 10**12)
    pipe.store.close()
    return {e.alert.product for e in events}, mentions


def test_an_announcement_reprinted_by_20_accounts_raises_no_alert(tmp_path: Path) -> None:
    alerted, mentions = reprinted_by_20_accounts(tmp_path / "gate")
    assert alerted == set()
    assert mentions >= 20  # still counted as attention
    # Without the gate's verdict the same posts count by their tone, and fire: what the gate
    # changes, not a scene too quiet to alert anyway.
    alerted, _ = reprinted_by_20_accounts(tmp_path / "tone", _Unjudged())
    assert alerted == {"anxin-e"}


def test_a_wave_among_reprints_fires_and_tells_the_reprints_as_mentions(tmp_path: Path) -> None:
    pipe, _ = pipeline(tmp_path)
    rng = Random(8)
    n = 0
    t = T0 - timedelta(days=14)
    while t < T0:
        if rng.random() < 1.5 / 144:
            n += 1
            pipe.accept(post(n, t, complaint(rng, "安心e生", n)))
        t += timedelta(minutes=10)
    pipe.detect(T0)
    for i in range(20):
        n += 1
        pipe.accept(post(n, T0 + timedelta(minutes=2 * i), ANNOUNCEMENT))
        if i % 2 == 0:
            n += 1
            pipe.accept(post(n, T0 + timedelta(minutes=2 * i + 1), complaint(rng, "安心e生", i)))
    alerts = []
    for minute in range(10, 120, 10):
        alerts += [e.alert for e in pipe.detect(T0 + timedelta(minutes=minute))]
    pipe.store.close()
    assert {a.product for a in alerts} == {"anxin-e"}
    first = alerts[0]
    assert first.burst is not None and first.burst.count <= 10  # the reprints are not counted
    # ... but told as attention besides the complaints
    told = [r for r in first.reasons if r.startswith("同期提及")]
    assert told and told[0].endswith("条（非投诉）")
    assert int(re.search(r"(\d+)", told[0]).group(1)) >= 10  # the reprints in the window
