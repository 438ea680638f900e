"""Posts and people as the daemon counts them: intake -> store -> detector.

Each test goes through ``Intake.accept`` (what every collector and ``yujing ingest`` call), the
store, and a detector reading committed posts as the daemon's does.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

import pytest

from yujing.app.intake import Intake
from yujing.config import BurstRule, Detection, Product
from yujing.detector.burst import BurstDetector
from yujing.detector.normalize import normalize
from yujing.detector.understand import Understander
from yujing.records import Post, Reach, format_time, hash_author, post_id
from yujing.store import Store

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SALT = "identity-tests"
RULE = BurstRule(window=3600, bucket=600, min_count=5, ratio=3.0, p_value=1e-6)
CAMPAIGN = (
    "安心e生医疗险理赔被拒，理由是既往症未告知，可投保时根本没问过。"
    "客服一直推脱，已经等了三个月。同样遭遇的朋友请加维权群，我们一起向监管投诉！"
)
COPIES = (
    CAMPAIGN,
    CAMPAIGN + "😡",
    CAMPAIGN.replace("，", ", "),
    "【扩散】" + CAMPAIGN,
    CAMPAIGN.replace("三个月", "三个多月"),
    CAMPAIGN.replace("！", "!!!"),
)


class Stub:
    def score(self, text: str) -> float:
        return 0.1


def post(
    n: int,
    text: str,
    *,
    source: str = "weiquan-bbs",
    author: str | None = None,
    title: str = "安心e生医疗险拒赔",
    at: datetime | None = None,
    channel: str | None = None,
    views: int | None = None,
) -> Post:
    at = at or T0 + timedelta(minutes=n)
    return Post(
        source=source,
        url=f"https://{source}.example/t/{n}",
        id=post_id(source, str(n)),
        author=hash_author(author, SALT),
        title=title,
        text=text,
        published_at=at,
        fetched_at=at,
        reach=Reach(views=views),
        extras={"channel": channel} if channel else {},
    )


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "y.db")
    yield s
    s.close()


def intake_for(store: Store) -> Intake:
    return Intake(Understander([Product(id="anxin", name="安心e生医疗险")], scorer=Stub()), store)


def detector(store: Store) -> BurstDetector:
    return BurstDetector(Detection(burst=RULE), store, persist=False)


def background(intake: Intake, days: int = 14) -> None:
    """About two unrelated posts a day about the product, each from its own account."""
    rng = Random(7)
    chars = "理赔保费续保客服退保医院材料审核电话等待合同条款业务员说明问题情况处理"
    t, n = T0 - timedelta(days=days), 10_000
    while t < T0 - timedelta(hours=2):
        if rng.random() < 2 / 144:
            n += 1
            words = "".join(rng.choice(chars) for _ in range(30))
            assert intake.accept(post(n, f"安心e生医疗险{words}", author=f"bg{n}", at=t))
        t += timedelta(minutes=10)


def test_copies_from_six_accounts_are_six_people_one_text_and_say_so(store: Store) -> None:
    intake = intake_for(store)
    background(intake)
    for n, text in enumerate(COPIES):
        assert intake.accept(post(n, text, author=f"account-{n}")), "a copy is a post"
    docs = [doc for _, doc in store.posts.after(0, limit=10_000)][-6:]
    assert {d["text_id"] for d in docs} == {docs[0]["id"]}, "one text"

    det = detector(store)
    [alert] = det.evaluate(["anxin"], T0 + timedelta(minutes=8))
    assert alert.burst.count == 6 and alert.burst.complainants == 6, "six people"
    assert "6 个账号发布相同内容，疑似有组织的复制粘贴" in alert.reasons
    assert "投诉人 6 位" in alert.reasons


def test_different_people_writing_the_same_sentence_are_all_stored_and_counted(
    store: Store,
) -> None:
    intake = intake_for(store)
    sentence = "安心e生医疗险理赔被拒了，客服说是既往症"
    for n in range(5):
        source = "weiquan-bbs" if n < 3 else "heimao"  # one of them on another site
        assert intake.accept(post(n, sentence, author=f"person-{n}", source=source))
    assert store.posts.count() == 5
    det = detector(store)
    series = det.series["burst:anxin"]
    assert series.details[max(series.details)].complainants == 5
    assert intake.accept(post(0, sentence, author="person-0")) is False, "the same post again"


def test_a_forum_post_and_its_feed_copy_without_author_are_one_post_one_person(
    store: Store,
) -> None:
    intake = intake_for(store)
    forum = post(1, CAMPAIGN, author="老王", views=1200)
    rss = post(1, CAMPAIGN, source="weiquan-rss", at=forum.published_at + timedelta(minutes=7))
    assert intake.accept(forum)
    assert not intake.accept(rss)
    assert store.posts.count() == 1 and intake.linked == 1
    assert store.posts.has(rss.id), "the feed entry is known: not fetched or parsed again"
    assert store.posts.aliases(forum.id) == [(rss.id, rss.source, rss.url)]
    details = next(iter(detector(store).series["burst:anxin"].details.values()))
    assert (details.posts, details.complainants, details.anonymous) == (1, 1, 0)


def test_the_richer_record_arriving_second_replaces_the_stored_one(store: Store) -> None:
    intake = intake_for(store)
    rss = post(1, CAMPAIGN[:70], source="weiquan-rss", title="安心e生医疗险拒赔…")
    forum = post(1, CAMPAIGN, author="老王", views=1200, at=rss.published_at + timedelta(hours=3))
    assert intake.accept(rss)
    det = detector(store)  # has counted the feed's anonymous record
    assert not intake.accept(forum)
    assert store.posts.count() == 1
    doc = store.posts.get(rss.id)
    assert (doc["author"], doc["source"]) == (forum.author, forum.source)
    assert doc["text"] == normalize(CAMPAIGN) and doc["reach"]["views"] == 1200
    assert doc["published_at"] == format_time(rss.published_at), "first seen"
    assert store.posts.has(forum.id)
    assert det.catch_up() == {"anxin"}, "the replaced row is not a new post, but amended"
    counted = next(iter(det.series["burst:anxin"].details.values()))
    assert (counted.posts, counted.complainants, counted.anonymous) == (1, 1, 0)
    assert det.catch_up() == set(), "amended once"
    fresh = next(iter(detector(store).series["burst:anxin"].details.values()))
    assert (fresh.posts, fresh.complainants, fresh.anonymous) == (1, 1, 0)


def test_a_forum_post_and_a_hotline_call_with_the_same_words_are_one_post(store: Store) -> None:
    intake = intake_for(store)
    forum = post(1, CAMPAIGN, author="老王", title="【求助】安心e生拒赔，大家怎么办")
    call = post(
        7,
        CAMPAIGN,
        source="hotline",
        author="13800138000",  # a caller's number: another namespace than forum accounts
        title=CAMPAIGN[:30],  # the inbox cuts a title from the text
        channel="hotline",
        at=forum.published_at + timedelta(hours=5),
    )
    assert intake.accept(forum)
    assert not intake.accept(call)
    assert store.posts.count() == 1 and store.posts.has(call.id)


def test_anonymous_posts_are_stored_but_are_not_people(store: Store) -> None:
    intake = intake_for(store)
    texts = [f"安心e生医疗险{w}，投诉无门" for w in ("理赔被拒", "续保被停", "退保难")]
    for n, text in enumerate(texts):
        assert intake.accept(post(n, text, source="heimao-rss"))
    details = next(iter(detector(store).series["burst:anxin"].details.values()))
    assert (details.posts, details.complainants, details.anonymous) == (3, 0, 3)


def test_the_copy_index_is_rebuilt_from_the_store_on_start(tmp_path: Path) -> None:
    path = tmp_path / "y.db"
    first = Store(path)
    assert intake_for(first).accept(post(0, CAMPAIGN, author="a0"))
    first.close()
    again = Store(path)
    intake = intake_for(again)
    assert len(intake.identity.index) == 1
    assert intake.accept(post(1, CAMPAIGN, author="a1"))
    assert again.posts.get(post(1, "", author="a1").id)["text_id"] == post(0, "").id
    assert not intake.accept(post(2, CAMPAIGN, source="rss")), "a feed copy after a restart"
    again.close()


def test_posts_committed_by_another_process_are_seen(tmp_path: Path) -> None:
    daemon_store, ingest_store = Store(tmp_path / "y.db"), Store(tmp_path / "y.db")
    daemon = intake_for(daemon_store)
    assert intake_for(ingest_store).accept(post(0, CAMPAIGN, author="a0"))
    assert not daemon.accept(post(0, CAMPAIGN, source="rss"))
    assert daemon_store.posts.count() == 1
    daemon_store.close()
    ingest_store.close()


def test_an_upgraded_old_database_keeps_working(tmp_path: Path) -> None:
    from tests.core.test_migrations import a_post, unversioned_file

    path = tmp_path / "old.db"
    unversioned_file(path)  # a post stored by a release that dropped texts seen before
    old = a_post().post
    store = Store(path)
    intake = Intake(Understander([Product(id="anxin-e", name="安心e生")], scorer=Stub()), store)
    assert len(intake.identity.index) == 1, "old posts (without text ids) are indexed"
    assert store.posts.get(old.id).get("text_id") is None
    copy = replace(old, id=post_id("forum", "2"), author="x9y8", url="http://127.0.0.1/t/2")
    assert intake.accept(copy), "the same text from another account is a post now"
    assert store.posts.get(copy.id)["text_id"] == old.id
    assert not intake.accept(replace(old, id="rss-1", source="rss", author=None))
    assert store.posts.count() == 2
    with sqlite3.connect(path) as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        [(doc,)] = db.execute("SELECT doc FROM posts WHERE id=?", (copy.id,)).fetchall()
    assert "dedup" not in names and "post_aliases" in names
    assert json.loads(doc)["author"] == "x9y8"
    store.close()


def test_a_late_hotline_export_without_caller_numbers_is_a_wave_of_callers(store: Store) -> None:
    from yujing.crawlers.inbox import Transcript, to_post

    intake = intake_for(store)
    background(intake)
    det = detector(store)
    assert det.evaluate(["anxin"], T0 + timedelta(minutes=45)) == []
    calls = [
        to_post(
            Transcript(
                text="安心e生医疗险理赔被拒了，我要投诉",  # callers say much the same
                native_id=f"call-{i}",
                line=i + 2,
                published_at=T0 + timedelta(minutes=1.5 * i),
            ),
            source="hotline",
            file="2024-03-01.csv",
            salt=SALT,
        )
        for i in range(30)
    ]
    assert all(intake.accept_many(calls)), "thirty calls, thirty posts"
    det.catch_up()
    [fired] = det.evaluate(["anxin"], T0 + timedelta(minutes=50))
    assert fired.kind == "burst" and fired.burst.count == 30
    assert "投诉人 30 位（含来电 30 通，未留号码，每通计一位）" in fired.reasons


def test_a_second_call_under_a_stored_calls_id_is_kept_apart_never_written_over(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Two records with one call id and different texts (an export that reuses ids, a push and
    a file): the first complaint stays as it was, the second is a post of its own."""
    intake = intake_for(store)
    first = post(1, "安心e生医疗险理赔被拒，我要投诉", source="hotline", channel="hotline")
    second = replace(first, text="安心e生医疗险退保扣了一半保费，太坑了", published_at=T0)
    assert intake.accept(first)
    with caplog.at_level("WARNING", logger="yujing.intake"):
        assert intake.accept(second), "the second complaint is stored, not a duplicate"
    assert "says something else; kept as a post of its own" in caplog.text
    assert store.posts.count() == 2
    kept = store.posts.get(first.id)
    assert kept["text"] == normalize(first.text) and kept["published_at"] == format_time(
        first.published_at
    )
    assert not intake.accept(second), "the same second record again is known"
    assert not intake.accept(first), "and so is the first"
    assert store.posts.count() == 2
