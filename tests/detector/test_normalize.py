from __future__ import annotations

from yujing.detector.normalize import normalize, skeleton


def test_full_width_letters_digits_and_punctuation_become_half_width():
    assert normalize("ＡＢＣ１２３！") == "ABC123!"


def test_nfkc_compatibility_forms():
    # circled digit, ligature and half-width katakana all have plain forms
    assert normalize("①ﬁｶ") == "1fiカ"


def test_whitespace_runs_collapse_including_full_width_and_nbsp():
    assert normalize("  理赔\u3000\u3000被拒\n\n\t太坑\u00a0了  ") == "理赔 被拒 太坑 了"


def test_zero_width_characters_are_removed_without_splitting_words():
    assert normalize("安\u200b心\u200de\ufeff生\u2060") == "安心e生"


def test_empty_and_blank():
    assert normalize("") == ""
    assert normalize(" \u3000\u200b ") == ""


def test_normalize_is_idempotent():
    once = normalize("ＡＢＣ\u3000理赔  被拒")
    assert normalize(once) == once


def test_skeleton_ignores_punctuation_spacing_width_case_and_emoji():
    a = skeleton(normalize("理赔等了三个月，还是被拒。大家怎么办?"))
    b = skeleton(normalize("理赔等了三个月 还是被拒……\n大家怎么办？😡"))
    assert a == b == "理赔等了三个月还是被拒大家怎么办"
    assert skeleton(normalize("安心Ｅ生 医疗险")) == "安心e生医疗险"


def test_skeleton_keeps_what_tells_complaints_apart():
    assert skeleton("理赔等了三个月") != skeleton("理赔等了四个月")
