"""The word check cuts text as jieba does, with the watched terms added to its dictionary."""

from __future__ import annotations

import jieba

from yujing.detector.words import TERM_COUNT, WordCheck

TERMS = ["乐驾", "乐驾车险", "家安", "易保", "康宁", "长青", "如意安康"]
TEXTS = [
    "本来是快乐驾驶的假期被追尾后乐驾车险拖了一个月不赔",
    "国家安全教育日大家安心回家安顿好父母",
    "重要文件容易保存不当交易保证金已经退回易保理赔很快",
    "健康宁静的生活福寿康宁康宁重疾险拒赔",
    "适当运动可以延长青春成长青春期长青寿险退保难",
    "称心如意安康幸福如意安康重疾险理赔顺利",
]


def test_the_cut_is_jiebas_cut_with_the_terms_added():
    reference = jieba.Tokenizer()
    for term in TERMS:
        reference.add_word(term, TERM_COUNT)
    check = WordCheck(TERMS)
    for text in TEXTS:
        words = reference.lcut(text, HMM=False)
        starts, at = {0}, 0
        for word in words:
            at += len(word)
            starts.add(at)
        assert check.boundaries(text) == starts, words


def test_a_term_is_a_word_only_where_the_cut_starts_and_ends_one_there():
    check = WordCheck(TERMS)
    text = "快乐驾驶，乐驾理赔"
    assert not check.is_word(text, 1, 3)
    assert check.is_word(text, 5, 7)


def test_punctuation_bounds_the_cut():
    # the words on the far side of a comma cannot swallow the term
    check = WordCheck(["乐驾"])
    assert check.is_word("快，乐驾", 2, 4)
