"""Copies and identity: which texts are the same text, which posts are the same post."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from random import Random

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from yujing.detector import copies
from yujing.detector.copies import COPY, CopyIndex, Entry, similarity, sketch, sketch_skeletons
from yujing.detector.details import Details
from yujing.detector.identity import SAME, Identity
from yujing.detector.normalize import normalize, skeleton
from yujing.records import ScoredPost

from .conftest import make_post

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

CAMPAIGN = (
    "安心e生医疗险理赔被拒，理由是既往症未告知，可投保时根本没问过。"
    "客服一直推脱，已经等了三个月。同样遭遇的朋友请加维权群，我们一起向监管投诉！"
)


def sim(a: str, b: str) -> float:
    return similarity(sketch(normalize(a)), sketch(normalize(b)))


def changed(text: str, positions: tuple[int, ...], to: str = "的") -> str:
    chars = list(text)
    for i in positions:
        chars[i] = to
    return "".join(chars)


@pytest.mark.parametrize(
    "edited",
    [
        CAMPAIGN.replace("，", ",").replace("。", ".").replace("！", "!!"),  # punctuation
        CAMPAIGN + "😡😡",  # an added emoji
        "【转】" + CAMPAIGN.replace("。", " "),  # a repost mark, spaces for stops
        changed(CAMPAIGN, (5, 30, 60)),  # three changed characters
        CAMPAIGN.replace("三个月", "四个多月").replace("朋友", "亲们"),  # a few words changed
    ],
)
def test_small_edits_are_still_the_same_text(edited: str) -> None:
    assert sim(CAMPAIGN, edited) >= COPY
    assert sim(CAMPAIGN, edited.replace("😡", "")) >= COPY


@pytest.mark.parametrize(
    "other",
    [
        # The same product and the usual words, another complaint.
        "安心e生医疗险续保被拒，说我有既往症，客服一直推脱，大家有同样遭遇的吗？",
        "安心e生医疗险理赔太慢，材料交了三次还在审核，客服电话一直打不通，怎么投诉？",
        "安心e生医疗险退保只退了一半，业务员当初说随时可以全额退，我们向监管投诉了。",
    ],
)
def test_different_complaints_about_one_product_are_different_texts(other: str) -> None:
    assert sim(CAMPAIGN, other) < 0.4 < COPY


def test_short_texts_are_the_same_text_only_when_identical() -> None:
    assert sim("理赔慢 123", "理赔慢 124") == 0.0  # most bigrams shared, still two texts
    assert sim("安心e生拒赔!", "安心e生拒赔") == 1.0
    assert sim("😡😡", "😡😡") == 0.0  # nothing to compare


def test_the_index_forgets_quiet_texts_beyond_its_horizon_and_capacity() -> None:
    index = CopyIndex(horizon=3600, capacity=3)
    sk = sketch(CAMPAIGN)

    def add(n: int, at: float) -> None:
        index.add(Entry(f"p{n}", f"p{n}", ("f",), ("web",), None, at, at, sk))

    add(0, 0.0)
    add(1, 1000.0)
    assert [e.text_id for e, _ in index.near(sk, 1000.0)] == ["p0", "p1"]
    index.touch("p1", 3000.0)  # a copy of p1 later on keeps its group remembered
    add(2, 4000.0)  # p0 was last seen more than an hour before the newest post
    assert "p0" not in index and len(index) == 2
    add(3, 4001.0)
    add(4, 4002.0)  # capacity 3: the least recently seen goes
    assert "p1" not in index
    assert [e.text_id for e, _ in index.near(sk, 4002.0)] == ["p2", "p3", "p4"]
    assert index.near(sk, 4002.0 + 7200) == [], "too old for a post two hours later"


def test_a_campaign_of_many_copies_is_one_entry_of_the_index() -> None:
    identity = Identity()
    for n in range(50):
        text = CAMPAIGN if n % 2 else CAMPAIGN + "!" * (n % 5)
        accept(identity, scored(n, text, source=f"site-{n % 3}"))
    assert len(identity.index) == 1
    first = scored(0, source="site-0").post.id
    assert identity.index.get(first).seen == scored(49).post.published_at.timestamp()


def scored(n: int, text: str = CAMPAIGN, **kw) -> ScoredPost:
    kw.setdefault("author", f"account-{n}")
    kw.setdefault("at", T0 + timedelta(minutes=n))
    return ScoredPost(make_post(normalize(text), native_id=str(n), **kw), ("anxin",), (), 0.1)


def accept(identity: Identity, sp: ScoredPost) -> tuple[str | None, str]:
    """(the id of the post it is the same as, its text id), remembering new posts."""
    verdict = identity.classify(sp)
    if verdict.same_as is not None:
        identity.linked(verdict.same_as, sp.post)
        return verdict.same_as.post_id, verdict.text_id
    identity.remember(replace(sp, text_id=verdict.text_id), verdict.sketch)
    return None, verdict.text_id


def test_copies_from_many_accounts_are_posts_of_one_text() -> None:
    identity = Identity()
    first = scored(0)
    assert accept(identity, first) == (None, first.post.id)
    for n, text in enumerate([CAMPAIGN + "😡", CAMPAIGN.replace("，", " "), CAMPAIGN], 1):
        source = "forum" if n < 3 else "weibo"  # another site, another named account
        assert accept(identity, scored(n, text, source=source)) == (None, first.post.id)
    other = scored(9, "福满堂年金险退保只退了一半，业务员当初承诺随时全额退保。")
    assert accept(identity, other) == (None, other.post.id)


def test_same_post_through_another_channel() -> None:
    identity = Identity()
    forum = scored(0)
    accept(identity, forum)
    # A feed copy without an author, a few minutes later: the same post.
    feed = scored(1, author=None, source="feed", title="安心e生医疗险拒赔")
    assert accept(identity, feed) == (forum.post.id, forum.post.id)
    # The same account on another site: the same post. A hotline call with the same words,
    # from a caller whose hash cannot match a forum account: the same post.
    same_author = scored(2, author="account-0", source="weibo")
    assert accept(identity, same_author)[0] == forum.post.id
    call = scored(3, author="caller-hash", source="hotline")
    call = replace(call, post=replace(call.post, extras={"channel": "hotline"}))
    assert accept(identity, call)[0] == forum.post.id
    # The same feed again with an anonymous copy of a *different* post is not this one.
    assert accept(identity, scored(4, author=None, source="feed"))[0] is None


def test_same_text_is_not_the_same_post_when_it_cannot_be() -> None:
    forum = scored(0)
    cases = {
        "another named account elsewhere": scored(1, source="weibo"),
        "the same source": scored(2, author=None),
        "two days later": scored(3, author=None, source="feed", at=T0 + timedelta(hours=49)),
        "a few words changed": scored(
            4,
            CAMPAIGN.replace("三个月", "四个多月").replace("朋友", "亲们"),
            author=None,
            source="feed",
        ),
    }
    for why, sp in cases.items():
        identity = Identity()
        accept(identity, forum)
        same, text_id = accept(identity, sp)
        assert same is None, why
        assert text_id == forum.post.id, why  # still a copy of its text
    assert SAME > COPY


def test_short_posts_are_never_taken_for_one_another() -> None:
    identity = Identity()
    accept(identity, scored(0, "如题", title="安心e生拒赔"))
    same, _ = accept(identity, scored(1, "如题", title="安心e生拒赔", author=None, source="feed"))
    assert same is None, "too little text to say it is the same post"
    other_title = scored(2, "如题", title="福满堂退保难")
    assert accept(identity, other_title) == (None, other_title.post.id)


def test_details_count_copies_once_as_text_and_once_per_account() -> None:
    d = Details()
    for n in range(6):
        d.add(replace(scored(n), text_id="campaign"), [])
    d.add(replace(scored(6, author=None), text_id="campaign"), [])  # anonymous: not a person
    d.add(replace(scored(7), text_id=None), [])  # before copies were tracked: its own text
    assert (d.posts, d.complainants, d.anonymous) == (8, 7, 1)
    assert (d.distinct_texts, d.same_text_accounts) == (2, 6)
    again = Details.load(d.dump())
    assert (again.distinct_texts, again.same_text_accounts) == (2, 6)
    merged = Details()
    merged.merge(d)
    merged.merge(d)
    assert (merged.distinct_texts, merged.same_text_accounts) == (2, 6)
    old = d.dump()
    del old["T"]
    old["n"] = old["n"][:6]
    assert Details.load(old).same_text_accounts == 0, "state saved before copies loads"


def _datasketch_minhash(skel: str) -> np.ndarray:
    """The library's own MinHash of a skeleton's bigram values, computed its way."""
    points = np.frombuffer(skel.encode("utf-32-le"), dtype=np.uint32)
    grams = points if len(points) == 1 else points[:-1] * copies._MIX ^ points[1:]
    m = MinHash(
        num_perm=copies.NUM_PERM,
        seed=copies.SEED,
        hashfunc=lambda value: value,
        permutations=(copies._A, copies._B),
        scheme="affine32",
    )
    m.update_batch(grams.tolist())
    return m.hashvalues


def _random_texts(n: int) -> list[str]:
    rng = Random(5)
    alphabet = "理赔被拒客服投诉退保安心e生医疗险的了是我ab12，。！😡 "
    lengths = (0, 1, 2, 3, 9, 10, 40, 300, 5000)
    return [
        normalize("".join(rng.choice(alphabet) for _ in range(rng.choice(lengths))))
        for _ in range(n)
    ]


def test_sketches_are_datasketchs_minhash_one_text_or_many_at_once() -> None:
    texts = [*_random_texts(400), CAMPAIGN, "理" * 9000, "a"]
    skels = [skeleton(t) for t in texts]
    together = sketch_skeletons(skels)  # several arrays' worth of bigrams: done in parts
    for text, skel, sk in zip(texts, skels, together, strict=True):
        alone = sketch(text)
        assert (sk.length, sk.exact) == (alone.length, alone.exact) == (len(skel), alone.exact)
        if not skel:
            assert sk.minhash is None and alone.minhash is None
            continue
        assert np.array_equal(sk.minhash, _datasketch_minhash(skel)), skel[:20]
        assert np.array_equal(alone.minhash, sk.minhash)


def test_the_index_finds_the_candidates_minhashlsh_finds() -> None:
    # Texts that share a lot (one template, words swapped): many share some bands, not all.
    rng = Random(11)
    words = ["理赔", "退保", "续保", "客服", "电话", "材料", "审核", "三个月", "推脱", "投诉"]
    texts = [
        "安心e生医疗险" + "".join(rng.choice(words) for _ in range(rng.randint(8, 30)))
        for _ in range(600)
    ]
    sketches = sketch_skeletons([skeleton(t) for t in texts])
    index = CopyIndex(threshold=0.0)  # every candidate is returned, however similar
    lsh = MinHashLSH(num_perm=copies.NUM_PERM, params=copies.BANDS)
    for n, sk in enumerate(sketches):
        if n % 3 == 0:  # query the index as it grows
            expected = set(
                lsh.query(LeanMinHash(seed=copies.SEED, hashvalues=sk.minhash, scheme="affine32"))
            )
            found = index.near(sk, 0.0)
            assert {e.text_id for e, _ in found} == expected
            for entry, sim in found:
                assert sim == similarity(sk, entry.sketch)
        index.add(Entry(f"t{n}", f"t{n}", ("f",), ("web",), None, 0.0, 0.0, sk))
        lsh.insert(f"t{n}", LeanMinHash(seed=copies.SEED, hashvalues=sk.minhash, scheme="affine32"))
