"""Collective-action language: words of people getting together against an insurer.

A lone angry post is a complaint; "拉群维权" or "向监管投诉" is the start of a group one.
Terms are kept specific: a bare "维权" or "立案" (which in claims means registering a claim)
is what single complainants write too, and would flag almost every post.
"""

from __future__ import annotations

import re

from .normalize import normalize

__all__ = ["COLLECTIVE_TERMS", "has_collective_language", "collective_terms_in"]

COLLECTIVE_TERMS: tuple[str, ...] = (
    # organising
    "维权群",
    "一起维权",
    "集体维权",
    "拉群",
    "建群",
    "进群",
    "加群",
    "组团",
    "抱团",
    "联名",
    "联合起来",
    "受害者",  # not 受害人: in motor claims that is the third party
    "同样遭遇",
    # complaining to authorities and the press
    "集体投诉",
    "向监管投诉",
    "投诉到监管",
    "银保监",
    "保监会",
    "金融监管",
    "国家金融监督管理总局",
    "12378",
    "12345",
    "消协",
    "信访",
    "上访",
    "黑猫投诉",
    "曝光",
    # legal action
    "起诉",
    "集体诉讼",
    "律师函",
    "报警",
    "集体退保",
)

# "12378" and "12345" are hotline numbers: they count only when not part of a longer number.
_REGEX = re.compile(
    "|".join(
        rf"(?<!\d){re.escape(t)}(?!\d)" if t.isdigit() else re.escape(t)
        for t in sorted(COLLECTIVE_TERMS, key=len, reverse=True)
    )
)


def collective_terms_in(text: str) -> list[str]:
    """The collective-action terms found in ``text``, in order, for explaining a flag."""
    return _REGEX.findall(normalize(text))


def has_collective_language(text: str) -> bool:
    return _REGEX.search(normalize(text)) is not None
