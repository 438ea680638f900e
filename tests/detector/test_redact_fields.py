"""Redaction beyond title and text: a post's URL and extra fields leave the collector too."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from yujing.config import Product
from yujing.detector.redact import Redactor, luhn_valid
from yujing.detector.understand import Understander
from yujing.records import Post

from .test_redact import ID_OTHER, id_card, luhn

PHONE = "13912345678"
ID_NUMBER = id_card("11010119900307457")
CARD = luhn("622202000000000000")  # a UnionPay-shaped card, 19 digits
WEIBO_ID = luhn("498765432101234")  # 16 digits that happen to pass Luhn, as 1 in 10 ids do


def test_url_path_query_and_fragment_lose_the_numbers_but_keep_their_shape() -> None:
    url = (
        f"https://bbs.example.cn/user/{PHONE}/thread-9.html"
        f"?tel=%2B86+139+1234+5678&mail=%E5%BC%A0%E4%B8%89%40example.com&page=2#id{ID_OTHER}"
    )
    redacted, found = Redactor().redact_url(url)
    assert found == {"phone": 2, "email": 1, "id_card": 1}
    assert redacted == (
        "https://bbs.example.cn/user/%5B%E6%89%8B%E6%9C%BA%E5%8F%B7%5D/thread-9.html"
        "?tel=%5B%E6%89%8B%E6%9C%BA%E5%8F%B7%5D&mail=%5B%E9%82%AE%E7%AE%B1%5D&page=2"
        "#id%5B%E8%BA%AB%E4%BB%BD%E8%AF%81%5D"
    )
    assert unquote(redacted).startswith("https://bbs.example.cn/user/[手机号]/thread-9.html?")


def test_a_url_without_personal_data_is_kept_byte_for_byte() -> None:
    url = "https://bbs.example.cn/thread/40070?from=%E9%A6%96%E9%A1%B5&x=a+b#reply-3"
    assert Redactor().redact_url(url) == (url, {})


def test_long_ids_in_web_links_are_not_cards_unless_the_parameter_says_so() -> None:
    assert luhn_valid(WEIBO_ID)
    url = f"https://weibo.example.com/1234/{WEIBO_ID}?card={CARD}&mid={WEIBO_ID}"
    redacted, found = Redactor().redact_url(url)
    assert found == {"bank_card": 1}
    assert redacted == (
        f"https://weibo.example.com/1234/{WEIBO_ID}?card=%5B%E9%93%B6%E8%A1%8C%E5%8D%A1%5D"
        f"&mid={WEIBO_ID}"
    )


def test_a_transcript_url_loses_the_numbers_in_its_file_name() -> None:
    url = f"transcript://hotline/20261130_{PHONE}_{ID_NUMBER}_{CARD}.txt#3"
    redacted, found = Redactor().redact_url(url)
    assert found == {"phone": 1, "id_card": 1, "bank_card": 1}
    assert unquote(redacted) == "transcript://hotline/20261130_[手机号]_[身份证]_[银行卡].txt#3"
    for number in (PHONE, ID_NUMBER, CARD):
        assert number not in redacted


def test_extras_are_redacted_at_any_depth_and_other_values_kept() -> None:
    extras = {
        "file": f"20261130_{PHONE}_{ID_NUMBER}.txt",
        "agent": "工号1032 手机１３９ １２３４ ５６７８",  # full width, as typed on some systems
        "tags": ["理赔", "张三@example.com", {"note": f"卡号{CARD}"}],
        "line": 3,
        "duration": 95.5,
        "channel": "hotline",
    }
    redacted, found = Redactor().redact_value(extras)
    assert redacted == {
        "file": "20261130_[手机号]_[身份证].txt",
        "agent": "工号1032 手机[手机号]",
        "tags": ["理赔", "[邮箱]", {"note": "卡号[银行卡]"}],
        "line": 3,
        "duration": 95.5,
        "channel": "hotline",
    }
    assert found == {"phone": 2, "id_card": 1, "email": 1, "bank_card": 1}


@pytest.fixture
def understander() -> Understander:
    return Understander([Product(id="anxin-e", name="安心e生医疗险", aliases=["安心e生"])])


def test_understood_post_carries_no_number_in_url_or_extras(understander: Understander) -> None:
    post = Post(
        source="hotline",
        url=f"transcript://hotline/20261130_{PHONE}_{ID_NUMBER}.txt#1",
        id="p1",
        author=None,
        title="安心e生理赔被拒",
        text="安心e生理赔被拒，客服一直推脱",
        published_at=datetime(2026, 11, 30, tzinfo=UTC),
        fetched_at=datetime(2026, 11, 30, tzinfo=UTC),
        extras={"file": f"20261130_{PHONE}_{ID_NUMBER}.txt", "agent": f"坐席 {PHONE}"},
    )
    scored = understander.understand(post)
    stored = repr(scored.post)
    for number in (PHONE, ID_NUMBER):
        assert number not in stored
    assert scored.post.extras["file"] == "20261130_[手机号]_[身份证].txt"
    assert scored.post.extras["redacted"] == {"phone": 3, "id_card": 2}
    assert tuple(scored.products) == ("anxin-e",)
