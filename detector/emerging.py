"""Emerging terms: a phrase that suddenly becomes common for a product names a new problem.

Each post's text is cut into words by jieba (a person reads "停售", "退保难", not the fragments
"买了安" or "后再也不信" that character n-grams give), and two adjacent content words also count as
one phrase ("突然停售"). Function words and anything that is part of a product's name are left
out; every distinct term counts once per post. Per product two decayed
counts are kept for each n-gram: a fast one (half-life = the detection window) and a slow one
(half-life = the baseline). A term is emerging when its fast count is far above what its slow
rate predicts for one window (Poisson tail below ``P_EMERGING``) and it appeared in at least
``MIN_POSTS`` posts. Of a phrase and its words ("突然停售", "停售") the phrase is reported when
it is (nearly) as common as its words.

Memory is bounded: at most ``MAX_TERMS`` terms per product. When the table overflows, the
weakest half (by the larger of the two counts, on a common time scale) is dropped, the
space-saving idea: a term that keeps appearing comes straight back, a one-off does not.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .countmodel import tail

__all__ = ["EmergingTerms", "Emerging", "terms"]

# Characters of a post looked at (title first): a new problem is named early, in the title or
# the first sentences, and the cost per post stays flat whatever the post's length.
MAX_TEXT = 120
MAX_PHRASE = 8  # characters in a two-word phrase; longer ones are sentences, not terms
MAX_TERMS = 3000
MIN_POSTS = 3
P_EMERGING = 1e-4
MIN_BACKGROUND = 20.0  # decayed posts of history needed before anything counts as "new"
REBASE_AFTER = 200.0  # fast e-folding times between epochs: exp(200) is far from overflow

# Words that carry no topic: pronouns, particles, connectives, the commonest verbs.
_STOP = frozenset(
    {
        "我们", "你们", "他们", "她们", "自己", "大家", "这个", "那个", "这些", "那些", "什么", "怎么",
        "为什么", "怎么办", "就是", "还是", "但是", "因为", "所以", "如果", "已经", "可以", "没有",
        "不是", "现在", "一个", "一下", "一直", "然后", "而且", "或者", "还有", "真的", "知道", "觉得",
        "应该", "需要", "这样", "那样", "时候", "今天", "昨天", "大概", "其实", "只是", "只有", "不过",
        "这种", "那种", "怎样", "有人", "有没有", "一样", "非常", "特别", "再也",
        "the", "and", "for", "with", "this", "that", "about", "from", "have", "not", "are",
        "was", "were", "you", "they",
    }
)  # fmt: skip
# A word is kept when it is at least two CJK characters or three Latin letters: digits (amounts,
# dates, phone digits) differ from post to post and are no topic.
_WORD = re.compile(r"^(?:[\u4e00-\u9fff]{2,}|[a-z]{3,})$")


_SEGMENTER: Any = None


def _segment(text: str) -> list[str]:
    global _SEGMENTER
    if _SEGMENTER is None:
        import jieba  # on first use: it builds its dictionary once, from the package's files

        jieba.setLogLevel(logging.WARNING)
        _SEGMENTER = jieba
    return _SEGMENTER.lcut(text, HMM=True)


def terms(
    text: str, exclude: Iterable[str] | frozenset[str] = (), phrases: bool = True
) -> set[str]:
    """The distinct words and (with ``phrases``) two-word phrases of ``text`` worth counting;
    none that is part of (or contains) one of the ``exclude`` terms, the product's own names."""
    names = exclude if isinstance(exclude, frozenset) else _names(exclude)
    text = text[:MAX_TEXT].lower()
    # The product's names go first: jieba does not know them and would cut "安心e生后" into
    # 安心 / e / 生后, leaving pieces of the name glued to the next word.
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "，")
    tokens = _segment(text)
    content = [bool(_WORD.match(t)) and t not in _STOP for t in tokens]
    out = {t for t, keep in zip(tokens, content, strict=True) if keep}
    if not phrases:
        return {t for t in out if not _named(t, names)} if names else out
    pairs = zip(tokens, content, tokens[1:], content[1:], strict=False)
    out |= {a + b for a, ka, b, kb in pairs if ka and kb and len(a) + len(b) <= MAX_PHRASE}
    return {t for t in out if not _named(t, names)} if names else out


def _names(terms: Iterable[str]) -> frozenset[str]:
    return frozenset(t.lower() for t in terms if t)


def _named(term: str, names: frozenset[str]) -> bool:
    # "安心" (a piece of 安心e生) and "安心e生理赔" (the name plus a word) both say the product,
    # which is never news about itself.
    return any(term in n or n in term for n in names)


@dataclass(frozen=True, slots=True)
class Emerging:
    term: str
    recent: int  # posts with the term in about one window
    expected: float  # what its background rate predicts


class EmergingTerms:
    """Emerging n-grams of one product."""

    def __init__(self, window: float, half_life: float, exclude: Iterable[str] = ()):
        self.tau_fast = window / math.log(2)  # e-folding times from half-lives
        self.tau_slow = half_life / math.log(2)
        self.window = window
        self.exclude = _names(exclude)
        # Counts are kept scaled to ``epoch``: a count c at time t is stored as
        # c * exp((t - epoch) / tau). Adding a post then costs one addition per n-gram (the two
        # exponentials are computed once per post, not per n-gram), and decay is applied only
        # when a count is read. The epoch moves forward now and then so the numbers stay finite.
        self.epoch: float | None = None
        self.terms: dict[str, list[float]] = {}  # term -> [fast, slow], scaled to epoch
        self.posts = 0.0  # slow-decayed number of posts, to know when history is enough
        self.posts_at = 0.0

    def _decay(self, now: float) -> tuple[float, float]:
        """Factors that turn stored (epoch-scaled) counts into counts at ``now``."""
        # Never negative: a time before the epoch (an old post, a clock behind) reads the counts
        # as they stand, instead of growing them without bound.
        age = max(0.0, now - (self.epoch if self.epoch is not None else now))
        return math.exp(-age / self.tau_fast), math.exp(-age / self.tau_slow)

    def _rebase(self, epoch: float) -> None:
        fast, slow = self._decay(epoch)
        for entry in self.terms.values():
            entry[0] *= fast
            entry[1] *= slow
        self.epoch = epoch

    def observe(self, text: str, at: float) -> None:
        self.posts = self.posts * math.exp(-max(0.0, at - self.posts_at) / self.tau_slow) + 1.0
        self.posts_at = max(self.posts_at, at)
        if self.epoch is None:
            self.epoch = at
        elif (at - self.epoch) / self.tau_fast > REBASE_AFTER:
            self._rebase(at)
        # A late post (at < epoch) is added with the smaller weight its age gives it; one so old
        # that the weight underflows simply adds nothing.
        fast = math.exp(max(-700.0, (at - self.epoch) / self.tau_fast))
        slow = math.exp(max(-700.0, (at - self.epoch) / self.tau_slow))
        table = self.terms
        for g in terms(text, self.exclude):
            entry = table.get(g)
            if entry is None:
                table[g] = [fast, slow]
            else:
                entry[0] += fast
                entry[1] += slow
        if len(table) > MAX_TERMS:
            self._prune(self.posts_at)

    def _prune(self, now: float) -> None:
        fast, slow = self._decay(now)
        # Fast counts are scaled to the slow one's time scale so neither kind crowds out.
        ratio = self.tau_slow / self.tau_fast

        def weight(item: tuple[str, list[float]]) -> float:
            return max(item[1][0] * fast * ratio, item[1][1] * slow)

        keep = sorted(self.terms.items(), key=weight, reverse=True)[: MAX_TERMS // 2]
        self.terms = dict(keep)

    def top(self, now: float, limit: int = 3) -> list[Emerging]:
        if self.posts * math.exp(-max(0.0, now - self.posts_at) / self.tau_slow) < MIN_BACKGROUND:
            return []  # a new product: every word of it is "new"
        decay_fast, decay_slow = self._decay(now)
        found: list[tuple[float, Emerging]] = []
        for term, (fast, slow) in self.terms.items():
            recent = fast * decay_fast
            if recent < MIN_POSTS or not self._reportable(term):
                continue
            # The slow count includes the recent posts; take them out to get the background.
            background = max(0.0, slow * decay_slow - recent)
            expected = background / self.tau_slow * self.tau_fast + 0.1
            k = int(recent + 0.5)
            p = tail(k, expected)
            if p < P_EMERGING:
                found.append((p, Emerging(term, k, round(expected, 2))))
        # Every ordering ends on the term itself: terms come out of sets, whose order changes
        # from run to run with string hashing, and the same posts must give the same alert.
        chosen: list[Emerging] = []
        for _, e in sorted(found, key=lambda x: (-len(x[1].term), x[0], x[1].term)):
            # Prefer the phrase; drop its words unless they are much more common.
            if any(e.term in c.term and e.recent <= c.recent * 1.5 for c in chosen):
                continue
            chosen.append(e)
        chosen.sort(key=lambda e: (-e.recent, -len(e.term), e.term))
        return chosen[:limit]

    def _reportable(self, term: str) -> bool:
        """Worth showing a person: not the product's own name (a state saved before names
        changed may still hold such terms)."""
        return not _named(term, self.exclude)

    # ------------------------------------------------------------ persistence

    def dump(self, limit: int = 500) -> dict[str, Any]:
        """The strongest terms, as plain counts at ``posts_at`` (independent of the epoch)."""
        fast, slow = self._decay(self.posts_at)
        strongest = sorted(self.terms.items(), key=lambda kv: kv[1][1], reverse=True)[:limit]
        return {
            "posts": [round(self.posts, 4), self.posts_at],
            "terms": {t: [round(f * fast, 4), round(s * slow, 4)] for t, (f, s) in strongest},
        }

    def load(self, data: dict[str, Any]) -> None:
        self.posts, self.posts_at = (float(v) for v in data["posts"])
        self.epoch = self.posts_at
        terms: dict[str, list[float]] = {}
        for t, vals in data["terms"].items():
            fast, slow = float(vals[0]), float(vals[1])
            if len(vals) == 3:  # an older state: counts at their own time
                age = self.epoch - float(vals[2])
                fast *= math.exp(-age / self.tau_fast)
                slow *= math.exp(-age / self.tau_slow)
            terms[t] = [fast, slow]
        self.terms = terms
