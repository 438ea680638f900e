"""Collective-action language: words of people getting together against an insurer.

A lone angry post is a complaint; "拉群维权" or "向监管投诉" is the start of a group one.
Terms are kept specific: a bare "维权" or "立案" (which in claims means registering a claim)
is what single complainants write too, and would flag almost every post. A term right after
a denial ("不会起诉", "没有报警", "别拉群") does not count.
"""

from __future__ import annotations

from .normalize import normalize
from .terms import NegationCues, TermMatcher, fold_normalized

__all__ = [
    "COLLECTIVE_TERMS",
    "has_collective_language",
    "collective_terms_in",
    "collective_terms_in_normalized",
]

COLLECTIVE_TERMS: tuple[str, ...] = (
    # organising
    "维权群",
    "投诉群",
    "受害群",
    "一起维权",
    "集体维权",
    "联合维权",
    "拉群",
    "建群",
    "进群",
    "加群",
    "拉个群",
    "建个群",
    "组团",
    "抱团",
    "联名",
    "联合起来",
    "团结起来",
    "受害者",  # not 受害人: in motor claims that is the third party
    "同样遭遇",
    "同样的遭遇",
    "不是个例",
    "不止我一个",
    "求扩散",
    "求转发",
    # complaining to authorities and the press
    "集体投诉",
    "联合投诉",
    "一起投诉",
    "集体举报",
    "向监管投诉",
    "投诉到监管",
    "监管投诉",
    "银保监",
    "保监会",
    "保监局",
    "金融监管",
    "金融监管总局",
    "国家金融监督管理总局",
    "12378",
    "12345",
    "12315",
    "消协",
    "信访",
    "上访",
    "黑猫投诉",
    "人民网留言",
    "领导留言板",
    "315晚会",
    "找媒体",
    "媒体曝光",
    "曝光",
    "上热搜",
    # legal action
    "起诉",
    "集体诉讼",
    "一起起诉",
    "律师函",
    "报警",
    "集体退保",
)

# Words before a term that take it back: "不会起诉", "没有报警", "别拉群", "不想曝光".
# Unlike categories, bare 不/别/不要 are cues here: "不起诉", "别组团" are never organising;
# "不得不报警" is, and "要不要起诉" / "有没有一起维权的" are people looking for company.
_CUES = NegationCues(
    (
        "不",
        "没",
        "没有",
        "并没有",
        "未",
        "并未",
        "从未",
        "不会",
        "不想",
        "不打算",
        "不准备",
        "不用",
        "不必",
        "无需",
        "没必要",
        "不至于",
        "别",
        "不要",
        "不敢",
    ),
    ("去", "再", "要", "想", "会", "被"),
    unless=("不得不", "不能不", "有没有", "要不要"),
)

# One pass of a multi-pattern matcher, longest term first where two overlap. Terms made of
# digits ("12378", "12315") are hotline numbers: the matcher skips them inside longer numbers.
_MATCHER = TermMatcher((t, t) for t in COLLECTIVE_TERMS)


def collective_terms_in_normalized(text: str) -> list[str]:
    """``collective_terms_in`` for a text that has already been through ``normalize``."""
    folded = fold_normalized(text)
    found: dict[str, None] = {}
    for hit in _MATCHER.leftmost_longest(folded):
        if not _CUES.negates(folded, hit.start):
            found.setdefault(hit.payloads[0], None)
    return list(found)


def collective_terms_in(text: str) -> list[str]:
    """The collective-action terms in ``text``, each once, in order of first appearance
    (what a detector shows as "维权群 in 12 posts"); negated ones are left out."""
    return collective_terms_in_normalized(normalize(text))


def has_collective_language(text: str) -> bool:
    return bool(collective_terms_in(text))
