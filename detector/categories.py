"""Which complaint categories (config/categories.yaml) a text falls in.

A category is hit by any of its keywords, with two ways for a hit not to count:

* a negation phrase of the same category covering the keyword: "稳赚不赔" is a sales
  promise, not a refused claim, so it cancels the "不赔" inside it (and only that one);
* a negation cue right before the keyword, as in "没有拒赔" or "担心被拒赔" (see
  ``NEGATION_CUES``): a denial or a worry is not a complaint.

Keywords of all categories compete for the text: the longest wins (leftmost first where two
overlap), so "续保被拒" is a renewal complaint and not also the claims keyword "被拒" inside it.
"""

from __future__ import annotations

from collections.abc import Iterable

from yujing.config import Category

from .terms import NegationCues, TermMatcher, fold, fold_normalized

__all__ = ["CategoryTagger", "NEGATION_CUES", "NEGATION_FILLERS", "NEGATION_UNLESS"]

# Denials and worries. Bare 不 is left out on purpose: "不断扣费" (deducting again and again)
# is a complaint. So are 别/不要/不再: "别再骚扰" and "不再续保" are what complainants write.
NEGATION_CUES: tuple[str, ...] = (
    "没有",
    "没",
    "并没有",
    "并未",
    "未",
    "从未",
    "从没",
    "从来没有",
    "从来没",
    "不是",
    "并不是",
    "并非",
    "不存在",
    "不会",
    "无需",
    "不用",
    # worries and precautions: "担心被拒赔" is a question before buying, not a complaint
    "担心",
    "害怕",
    "怕",
    "生怕",
    "万一",
    "会不会",
    "是否会",
    "以免",
    "防止",
    "谨防",
    "避免",
)

# Words allowed between a cue and the keyword ("没有被拒赔", "从没遇到过拒赔"). Kept short and
# specific: "没能理赔" (could not get paid) must stay a complaint, so 能 is not here.
NEGATION_FILLERS: tuple[str, ...] = (
    "被",
    "遭",
    "遭到",
    "会",
    "再",
    "有",
    "遇到",
    "遇到过",
    "遇过",
    "碰到",
    "碰到过",
    "出现",
    "出现过",
    "发生",
    "发生过",
    "存在",
)

# Cue-ending phrases that are not denials: "有没有被拒赔的" looks for others who were refused,
# "怕不是拒赔了" is sure it was.
NEGATION_UNLESS: tuple[str, ...] = ("有没有", "怕不是")


class CategoryTagger:
    def __init__(self, categories: Iterable[Category]):
        # Keywords and negation phrases in one automaton: a negation phrase contains its
        # keyword and is longer, so where it is written it wins the span and cancels it.
        terms: list[tuple[str, tuple[bool, str]]] = []
        for category in categories:
            terms.extend((k, (False, category.id)) for k in category.keywords)
            terms.extend((n, (True, category.id)) for n in category.negations)
        self._matcher = TermMatcher(terms)
        self._cues = NegationCues(NEGATION_CUES, NEGATION_FILLERS, NEGATION_UNLESS)

    def tag(self, text: str) -> tuple[str, ...]:
        """Category ids the text falls in, in order of first (unnegated) appearance."""
        return self._tag(fold(text))

    def tag_normalized(self, text: str) -> tuple[str, ...]:
        """``tag`` for a text that has already been through ``normalize``."""
        return self._tag(fold_normalized(text))

    def _tag(self, folded: str) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for hit in self._matcher.leftmost_longest(folded):
            if self._cues.negates(folded, hit.start):
                continue
            payloads = hit.payloads
            if len(payloads) == 1:  # the usual case: one keyword of one category
                negation, category = payloads[0]
                if not negation:
                    found.setdefault(category, None)
                continue
            cancelled = {c for negation, c in payloads if negation}
            for negation, category in payloads:
                if not negation and category not in cancelled:
                    found.setdefault(category, None)
        return tuple(found)
