"""One post, one record, whichever channel came first.

A forum thread is read through its RSS feed (an entry linking to the thread, often without an
author and with only the first lines) and through its page (the author, the whole text, reach),
and perhaps reposted elsewhere. Whatever the order, the store keeps one record with the richest
fields, and the detector counts its author once, also when it had counted the feed's anonymous
entry before the page came.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import permutations
from pathlib import Path

import pytest

from yujing.detector.burst import BurstDetector
from yujing.detector.details import Details
from yujing.records import Post, Reach, hash_author, post_id
from yujing.store import Store

from .test_identity import CAMPAIGN, SALT, T0, background, detector, intake_for

THREAD = "https://bbs.example.com/thread-{n}-1-1.html"


def page(n: int, author: str = "老王", text: str = CAMPAIGN) -> Post:
    url = THREAD.format(n=n)
    at = T0 + timedelta(minutes=n)
    return Post(
        source="bbs", url=url, id=post_id("bbs", url), author=hash_author(author, SALT),
        title="安心e生医疗险拒赔", text=f"{text}（{n}号帖）", published_at=at,
        fetched_at=at + timedelta(minutes=30), reach=Reach(views=1200, comments=8),
    )  # fmt: skip


def feed_entry(n: int, text: str = CAMPAIGN) -> Post:
    """The feed's entry for thread ``n``: its link (as the feed writes it), no author, the
    first lines of the text only."""
    at = T0 + timedelta(minutes=n, seconds=40)
    link = THREAD.format(n=n).replace("https://", "http://") + "?utm_source=rss"
    return Post(
        source="bbs-rss", url=link, id=post_id("bbs-rss", f"guid-{n}"), author=None,
        title="安心e生医疗险拒赔", text=text[:24] + "…", published_at=at, fetched_at=at,
    )  # fmt: skip


def repost(n: int, text: str = CAMPAIGN) -> Post:
    """The thread reposted on a social site by an account that shows no name."""
    at = T0 + timedelta(minutes=n, seconds=50)
    url = f"https://weibo.example.com/status/{n}"
    return Post(
        source="weibo", url=url, id=post_id("weibo", url), author=None,
        title="", text=f"{text}（{n}号帖）", published_at=at, fetched_at=at,
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "y.db")
    yield s
    s.close()


def people(det: BurstDetector) -> tuple[int, int, int]:
    d = Details()
    for bucket in det.series["burst:anxin"].details.values():
        if bucket.sources & {"bbs", "bbs-rss", "weibo"}:  # not the background's
            d.merge(bucket)
    return d.posts, d.complainants, d.anonymous


def test_a_feed_entry_then_its_page_are_one_record_with_the_author(store: Store) -> None:
    intake = intake_for(store)
    assert intake.accept(feed_entry(1))
    det = detector(store)
    assert people(det) == (1, 0, 1), "the feed's entry alone: an anonymous post"
    assert not intake.accept(page(1)), "its page is the same post"
    [(_, doc)] = store.posts.after(0)
    assert doc["author"] == page(1).author and doc["reach"]["views"] == 1200
    assert len(doc["text"]) > 60 and "1号帖" in doc["text"], "the whole text"
    assert store.posts.has(page(1).id) and store.posts.has(feed_entry(1).id)
    det.catch_up()
    assert people(det) == (1, 1, 0), "counted once, as its author"
    assert people(detector(store)) == (1, 1, 0), "and so by a detector started now"


def test_a_page_then_its_feed_entry_are_one_record_with_the_author(store: Store) -> None:
    intake = intake_for(store)
    assert intake.accept(page(1))
    assert not intake.accept(feed_entry(1))
    [(_, doc)] = store.posts.after(0)
    assert doc["author"] == page(1).author and doc["source"] == "bbs"
    assert store.posts.aliases(page(1).id)[0][:2] == (feed_entry(1).id, "bbs-rss")
    assert people(detector(store)) == (1, 1, 0)


@pytest.mark.parametrize("order", list(permutations("FPR")))
def test_three_channels_are_one_record_with_the_author(store: Store, order) -> None:
    made = {"F": feed_entry(1), "P": page(1), "R": repost(1)}
    intake = intake_for(store)
    det = detector(store)
    for channel in order:
        intake.accept(made[channel])
        det.catch_up()
    assert store.posts.count() == 1
    [(_, doc)] = store.posts.after(0)
    assert doc["author"] == page(1).author
    assert all(store.posts.has(p.id) for p in made.values())
    assert people(det) == (1, 1, 0), "counted once, as its author, however it was seen first"
    assert sum(det.series["burst:anxin"].counts) == 1, "one post in the counts too"
    assert people(detector(store)) == (1, 1, 0), "and so by a detector started now"
    assert not intake.accept(repost(1)) and not intake.accept(feed_entry(1)), "all known"


def test_a_reply_linked_from_a_feed_is_not_the_thread_it_is_in(store: Store) -> None:
    intake = intake_for(store)
    assert intake.accept(page(1))
    reply = feed_entry(2, "安心e生医疗险我也一样，住院报销被拒，材料齐全还说不符合条款，太气人了")
    assert intake.accept(replace(reply, url=THREAD.format(n=1) + "#pid42"))
    assert store.posts.count() == 2


def test_web_addresses_of_one_page_are_one():
    from yujing.store.posts import web_address

    same = [
        "https://bbs.example.com/viewthread.php?tid=5&page=1",
        "http://WWW.bbs.example.com:80/viewthread.php/?page=1&tid=5&utm_source=rss&from=feed",
    ]
    assert (
        web_address(same[0])
        == web_address(same[1])
        == "bbs.example.com/viewthread.php?page=1&tid=5"
    )
    assert web_address(same[0] + "#pid42") != web_address(same[0]), "a reply's anchor"
    assert web_address("https://bbs.example.com/viewthread.php?tid=6") != web_address(same[0])
    assert web_address("transcript://hotline/calls.csv#3") is None


def test_a_feed_entry_from_the_same_feed_is_not_another_entry_of_it(store: Store) -> None:
    # Entries without a link of their own all carry the feed's address: not one post.
    intake = intake_for(store)
    a = feed_entry(1, "安心e生医疗险续保被拒，客服说产品停售了，之前买的时候没人说过这个")
    b = feed_entry(2, "安心e生医疗险理赔材料交了三次，每次都说缺东西，已经拖了两个月了")
    for p in (a, b):
        assert intake.accept(replace(p, url="https://bbs.example.com/rss.xml"))
    assert store.posts.count() == 2


def test_a_wave_first_read_through_the_feed_is_told_by_its_authors(store: Store) -> None:
    """Three people's threads reach the feed first: anonymous, not a group; their pages then
    name them, and the detector, which had counted the entries, counts three people, not six."""
    intake = intake_for(store)
    texts = [
        "安心e生医疗险理赔被拒，理由是既往症未告知，可投保时根本没问过，客服一直推脱",
        "安心e生医疗险续保突然被停，说产品下架了，买的时候保证可以续保到一百岁的",
        "安心e生医疗险住院报销材料交了三次还说不全，等了两个多月一分钱没赔下来",
        "安心e生医疗险退保扣了一大半保费，业务员当初说随时可以全额退，完全是误导",
        "安心e生医疗险客服电话永远打不通，在线客服只会复制粘贴，投诉也没人回复",
        "安心e生医疗险理赔审核拖了三个月，每次打电话都说在走流程，到底还要多久",
    ]
    background(intake)
    stored = store.posts.count()
    for n, text in enumerate(texts):
        assert intake.accept(feed_entry(n, text))
    det = detector(store)
    assert det.evaluate(["anxin"], T0 + timedelta(minutes=8)) == [], "anonymous alone"
    for n, text in enumerate(texts):
        assert not intake.accept(page(n, author=f"用户{n % 3}", text=text))
    assert store.posts.count() == stored + 6
    det.catch_up()
    [fired] = det.evaluate(["anxin"], T0 + timedelta(minutes=9))
    assert fired.kind == "burst" and fired.burst.count == 6
    assert fired.burst.complainants == 3 and "投诉人 3 位" in fired.reasons


def test_a_post_amended_while_the_detector_was_stopped_is_corrected_on_restart(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "y.db")
    intake = intake_for(store)
    assert intake.accept(feed_entry(1))
    det = BurstDetector(detector(store).detection, store)  # persisting: saves its state
    assert people(det) == (1, 0, 1)
    det.save_state()
    assert not intake.accept(page(1))
    again = BurstDetector(det.detection, store)
    assert people(again) == (1, 1, 0)
    again.save_state()
    assert people(BurstDetector(det.detection, store)) == (1, 1, 0), "not amended twice"
    store.close()


def test_pages_that_come_while_their_wave_fires_name_its_people(store: Store) -> None:
    intake = intake_for(store)
    background(intake)
    texts = [
        f"安心e生医疗险第{n}次理赔被拒，等了{n + 2}个月，客服只会说在审核，投诉无门"
        for n in range(6)
    ]
    for n, text in enumerate(texts):  # three threads by their pages, three by the feed only
        assert intake.accept(
            page(n, author=f"用户{n}", text=text) if n < 3 else feed_entry(n, text)
        )
    det = detector(store)
    [fired] = det.evaluate(["anxin"], T0 + timedelta(minutes=8))
    assert "投诉人 3 位，另有匿名 3 条" in fired.reasons
    for n in range(3, 6):
        assert not intake.accept(page(n, author=f"用户{n}", text=texts[n]))
    det.catch_up()
    wave = det.series["burst:anxin"].wave
    assert wave is not None and (wave.details.complainants, wave.details.anonymous) == (6, 0)
    assert wave.details.posts == 6, "the same six posts"
