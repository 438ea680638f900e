"""Posts taken in batches: one transaction each, answered only once committed, nothing half-kept."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from yujing.app.intake import Intake
from yujing.config import Product
from yujing.crawlers.inbox import BATCH, InboxSinkError, ingest_files
from yujing.detector.understand import Understander
from yujing.records import Post, format_time
from yujing.store import Store
from yujing.store.db import Rollback, Transaction

from .test_identity import CAMPAIGN, SALT, Stub, post


class FailOn(Stub):
    """A scorer that breaks on one text, as a bug or a full disk would mid-batch."""

    def __init__(self, bad: str):
        self.bad = bad

    def score(self, text: str) -> float:
        if self.bad in text:
            raise RuntimeError("scoring failed")
        return 0.1


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "y.db")
    yield s
    s.close()


def intake(store: Store, scorer: Stub | None = None) -> Intake:
    products = [Product(id="anxin", name="安心e生医疗险")]
    return Intake(Understander(products, scorer=scorer or Stub()), store)


def texts(n: int) -> list[Post]:
    return [post(i, f"安心e生医疗险第{i}号投诉：理赔被拒，客服推脱{i * 7919}") for i in range(n)]


def test_a_batch_is_committed_together_and_answered_per_post(store: Store) -> None:
    batch = texts(5)
    taker = intake(store)
    assert taker.accept_many(batch[:3]) == [True, True, True]
    assert taker.accept_many(batch) == [False, False, False, True, True]
    assert store.posts.count() == 5
    assert (taker.accepted, taker.known) == (5, 3)


def test_a_failing_batch_leaves_nothing_and_a_retry_stores_it_all(tmp_path: Path) -> None:
    batch = texts(6)
    store = Store(tmp_path / "y.db")
    taker = intake(store, FailOn("第4号"))
    with pytest.raises(RuntimeError):
        taker.accept_many(batch)
    # Seen from another connection (another process): not one post of the batch.
    other = Store(tmp_path / "y.db")
    assert other.posts.count() == 0
    assert taker.accepted == 0
    # The copy index forgot the posts it had learned from the failed batch.
    assert len(taker.identity.index) == 0
    taker.understander = intake(store).understander
    assert taker.accept_many(batch) == [True] * 6
    assert other.posts.count() == 6
    other.close()
    store.close()


def test_the_same_post_twice_in_one_batch_is_stored_once(store: Store) -> None:
    one = post(1, CAMPAIGN)
    assert intake(store).accept_many([one, one]) == [True, False]
    assert store.posts.count() == 1


def test_a_nested_transaction_is_a_savepoint(store: Store) -> None:
    taker = intake(store)
    with store.transaction():
        taker.accept_many([texts(1)[0]])
        with Transaction(store.db):
            taker.store.posts.accept(taker.understander.understand(texts(2)[1]))
            raise Rollback  # undoes the second post only
    assert store.posts.count() == 1


def test_ingest_hands_batches_and_keeps_the_committed_ones_on_failure(
    store: Store, tmp_path: Path
) -> None:
    n = BATCH * 2 + 10
    export = tmp_path / "calls.jsonl"
    lines = [
        json.dumps(
            {"id": f"c{i}", "text": f"安心e生医疗险理赔被拒{i * 7919}号"}, ensure_ascii=False
        )
        for i in range(n)
    ]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The second batch fails: the first stays committed, the rest is for the retry.
    bad = f"{(BATCH + 3) * 7919}号"
    with pytest.raises(InboxSinkError) as err:
        ingest_files([export], intake(store, FailOn(bad)), source_name="hotline", salt=SALT)
    assert err.value.result.posts == BATCH
    assert store.posts.count() == BATCH
    result = ingest_files([export], intake(store), source_name="hotline", salt=SALT)
    assert (result.posts, result.accepted) == (n, n - BATCH)
    assert store.posts.count() == n


def test_post_to_dict_is_asdict_with_utc_times() -> None:
    p = dataclasses.replace(post(1, CAMPAIGN), extras={"tags": ["理赔"], "line": 3})
    expected = dataclasses.asdict(p)
    expected["published_at"] = format_time(p.published_at)
    expected["fetched_at"] = format_time(p.fetched_at)
    assert p.to_dict() == expected
    assert Post.from_dict(p.to_dict()) == p


def _mixed_stream() -> list[Post]:
    """Posts of every kind a batch may hold: new texts, copies from other accounts, the same
    post through another channel (poorer and richer records), ids seen twice, an edited post."""
    stream: list[Post] = []
    for n in range(40):
        stream.append(
            post(n, f"安心e生医疗险第{n}号投诉：理赔被拒，客服推脱{n * 7919}", author=f"a{n}")
        )
        if n % 5 == 1:  # a copy of the campaign from another account
            stream.append(post(100 + n, CAMPAIGN + "！" * (n % 3), author=f"c{n}"))
        if n % 7 == 2:  # the campaign's first post seen through a feed, without an author
            stream.append(post(101, CAMPAIGN, source="weiquan-rss"))
        if n % 9 == 3:  # a richer record of the same post from another site
            richer = post(200 + n, CAMPAIGN, source=f"site{n}", author="c1", views=500 + n)
            stream.append(richer)
        if n % 6 == 4:  # the same id again, once as it was and once edited
            stream.append(stream[-2])
            stream.append(dataclasses.replace(stream[-3], text=stream[-3].text + "（补充）"))
    return stream


def _stored(store: Store) -> list[tuple]:
    rows = store.db.execute("SELECT rowid, id, doc FROM posts ORDER BY rowid").fetchall()
    docs = [(r[0], r[1], json.loads(r[2])) for r in rows]
    aliases = store.db.execute("SELECT id, post_id, source, url FROM post_aliases ORDER BY id")
    return [docs, aliases.fetchall()]


@pytest.mark.parametrize("size", [1, 3, 8, 100])
def test_batches_decide_each_post_as_taking_them_one_by_one_does(tmp_path: Path, size: int) -> None:
    stream = _mixed_stream()
    one_by_one, batched = Store(tmp_path / "one.db"), Store(tmp_path / "batched.db")
    single, many = intake(one_by_one), intake(batched)
    answers = [single.accept(p) for p in stream]
    assert [many.accept_many(stream[i : i + size]) for i in range(0, len(stream), size)] == [
        answers[i : i + size] for i in range(0, len(stream), size)
    ]
    assert _stored(batched) == _stored(one_by_one)
    counts = (many.accepted, many.known, many.linked, many.updated)
    assert counts == (single.accepted, single.known, single.linked, single.updated)
    assert many.linked > 0 and many.updated > 0 and many.known > many.updated
    one_by_one.close()
    batched.close()


def test_known_ids_are_the_ones_has_knows(store: Store) -> None:
    taker = intake(store)
    stream = _mixed_stream()
    taker.accept_many(stream[:30])
    asked = [p.id for p in stream] + ["never-seen"]
    known = store.posts.known(asked)
    assert known == {i for i in asked if store.posts.has(i)} and "never-seen" not in known
    assert store.posts.known(asked * 10) == known, "asked in several queries"
