from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from yujing.config import Category, Product
from yujing.detector.redact import Redactor
from yujing.detector.understand import Understander
from yujing.records import format_time
from yujing.store import Store

from .conftest import make_post

PRODUCTS = [
    Product(id="esheng", name="安心e生医疗险", aliases=["e生保"]),
    Product(id="anxin", name="安心财险", aliases=["安心"]),
]


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander(PRODUCTS)


def test_understand_complaint(understander):
    post = make_post(
        "理赔拖了三个月还拒赔，\u3000太坑了！！被拒的朋友拉群一起维权",
        title="【安心ｅ生医疗险】 拒赔\u200b骗子",
    )
    scored = understander.understand(post)
    assert scored.post.title == "【安心e生医疗险】 拒赔骗子"
    assert scored.post.text == "理赔拖了三个月还拒赔, 太坑了!!被拒的朋友拉群一起维权"
    assert scored.post.id == post.id and scored.post.url == post.url
    assert scored.products == ("esheng",)
    assert scored.categories == ()
    assert scored.collective is True
    assert scored.sentiment < 0.4


def test_product_named_only_in_title_is_found(understander):
    scored = understander.understand(make_post("服务很好，理赔很快，非常满意", title="安心财险"))
    assert scored.products == ("anxin",)
    assert scored.collective is False
    assert scored.sentiment > 0.6


class StubScorer:
    """Sentiment is not what these tests are about."""

    def score(self, text: str) -> float:
        return 0.2


CATEGORIES = [
    Category(id="claims", name="理赔难/拒赔", keywords=["拒赔", "不赔"], negations=["稳赚不赔"]),
    Category(id="premium", name="保费/扣费", keywords=["乱扣费", "扣费"]),
]


@pytest.fixture(scope="module")
def full() -> Understander:
    return Understander(PRODUCTS, CATEGORIES, Redactor([r"P[0-9]{12}"]), scorer=StubScorer())


def test_personal_data_is_gone_before_storage(full, tmp_path):
    post = make_post(
        "安心财险拒赔，电话１３８ ００１３ ８０００，保单P202401010001，邮箱a.b@qq.com",
        title="拒赔！打13912345678",
    )
    scored = full.understand(post)
    assert scored.post.text == "安心财险拒赔,电话[手机号],保单[保单号],邮箱[邮箱]"
    assert scored.post.title == "拒赔!打[手机号]"
    assert scored.post.extras["redacted"] == {"phone": 2, "policy": 1, "email": 1}

    store = Store(tmp_path / "t.db")
    assert store.posts.accept(scored)
    dumped = json.dumps(scored.to_dict(), ensure_ascii=False)
    for secret in ("8000", "13912345678", "P202401010001", "a.b@qq.com"):
        assert secret not in dumped
    with sqlite3.connect(tmp_path / "t.db") as db:
        stored = "\n".join(db.iterdump())
    assert "[手机号]" in stored
    assert "13912345678" not in stored and "P202401010001" not in stored


def test_title_cut_inside_a_number_loses_the_partial_number(full):
    # hotline transcripts take their title from the first characters of the text
    text = "客户来电，手机13800138000，反映安心财险拒赔"
    scored = full.understand(make_post(text, title=text[:12]))
    assert scored.post.title == "客户来电,手机"
    assert scored.post.text == "客户来电,手机[手机号],反映安心财险拒赔"


def test_categories_products_and_collective_terms(full):
    post = make_post("理赔被拒赔，还乱扣费，大家拉群集体投诉，不会报警", title="安心e生医疗险")
    scored = full.understand(post)
    assert scored.products == ("esheng",)
    assert scored.categories == ("claims", "premium")
    assert scored.collective is True
    assert scored.post.extras["collective_terms"] == ["拉群", "集体投诉"]
    assert "redacted" not in scored.post.extras


def test_untouched_post_keeps_its_extras(full):
    post = make_post("业务员说稳赚不赔", title="")
    post = dataclasses.replace(post, extras={"channel": "hotline"})
    scored = full.understand(post)
    assert scored.categories == ()
    assert scored.collective is False
    assert scored.post.extras == {"channel": "hotline"}


@pytest.mark.parametrize("ahead", [timedelta(hours=8), timedelta(days=365)])
def test_a_post_dated_in_the_future_is_dated_when_it_was_fetched(understander, ahead):
    fetched = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    post = dataclasses.replace(make_post("安心e生理赔被拒", at=fetched + ahead), fetched_at=fetched)
    scored = understander.understand(post)
    assert scored.post.published_at == fetched
    assert scored.post.extras["published_future"] == format_time(fetched + ahead)


def test_minutes_of_clock_skew_are_kept(understander):
    fetched = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    ahead = fetched + timedelta(minutes=5)
    post = dataclasses.replace(make_post("安心e生理赔被拒", at=ahead), fetched_at=fetched)
    scored = understander.understand(post)
    assert scored.post.published_at == ahead and "published_future" not in scored.post.extras
