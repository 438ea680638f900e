from __future__ import annotations

import pytest

from yujing.detector.signals import COLLECTIVE_TERMS, collective_terms_in, has_collective_language


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("被坑的朋友进维权群，一起维权", ["维权群", "一起维权"]),
        ("我们准备集体投诉，已经有三十多人联名", ["集体投诉", "联名"]),
        ("已向金融监管总局投诉，也打了12378", ["金融监管总局", "12378"]),
        ("发到黑猫投诉上了，再不处理就曝光", ["黑猫投诉", "曝光"]),
        ("大家组团去报警", ["组团", "报警"]),
        ("不是个例，求扩散", ["不是个例", "求扩散"]),
        ("实在没办法，不得不报警", ["报警"]),
        ("有没有一起维权的", ["一起维权"]),
    ],
)
def test_terms_found(text, terms):
    assert collective_terms_in(text) == terms
    assert has_collective_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "我不会起诉的，协商解决了",
        "没有报警，也没去上访",
        "大家别拉群，没必要",
        "不想曝光，只想退钱",
        "不打算起诉",
    ],
)
def test_negated_terms_do_not_count(text):
    assert collective_terms_in(text) == []
    assert not has_collective_language(text)


def test_negation_takes_back_only_the_term_it_precedes():
    assert collective_terms_in("不会起诉，但是已经报警了") == ["报警"]


def test_each_term_reported_once_in_order_of_first_appearance():
    text = "报警！报警！先拉群再报警"
    assert collective_terms_in(text) == ["报警", "拉群"]


def test_hotline_numbers_not_inside_longer_numbers():
    assert collective_terms_in("打了12315") == ["12315"]
    assert collective_terms_in("单号1231567") == []


def test_longest_term_wins():
    assert collective_terms_in("向国家金融监督管理总局反映") == ["国家金融监督管理总局"]
    assert collective_terms_in("几个人一起起诉") == ["一起起诉"]


def test_issue_terms_are_listed():
    for term in ("维权群", "集体投诉", "拉群", "组团", "起诉", "报警", "曝光", "向监管投诉"):
        assert term in COLLECTIVE_TERMS
    for term in ("金融监管总局", "12378", "黑猫投诉", "联名", "一起维权"):
        assert term in COLLECTIVE_TERMS
