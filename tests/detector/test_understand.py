from __future__ import annotations

import pytest

from detector.normalize import dedup_key
from detector.understand import Understander
from yujing.config import Product
from yujing.storage import Store

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
    scored, key = understander.understand(post)
    assert scored.post.title == "【安心e生医疗险】 拒赔骗子"
    assert scored.post.text == "理赔拖了三个月还拒赔, 太坑了!!被拒的朋友拉群一起维权"
    assert scored.post.id == post.id and scored.post.url == post.url
    assert scored.products == ("esheng",)
    assert scored.categories == ()
    assert scored.collective is True
    assert scored.sentiment < 0.4
    assert key == dedup_key(scored.post.title, scored.post.text)


def test_product_named_only_in_title_is_found(understander):
    scored, _ = understander.understand(make_post("服务很好，理赔很快，非常满意", title="安心财险"))
    assert scored.products == ("anxin",)
    assert scored.collective is False
    assert scored.sentiment > 0.6


def test_repost_on_another_site_is_one_post(understander, tmp_path):
    store = Store(tmp_path / "t.db")
    first = make_post("安心财险拒赔了，大家怎么办？", source="forum", native_id="1")
    again = make_post("安心财险 拒赔了 大家怎么办", source="weibo", native_id="abc")
    assert store.accept(*understander.understand(first))
    assert not store.accept(*understander.understand(again))
    assert store.count_posts() == 1
