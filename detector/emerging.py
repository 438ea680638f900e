"""Emerging terms: a phrase that suddenly becomes common for a product names a new problem.

Each post's text is cut into character n-grams (2 to 4 characters; Chinese needs no word
segmentation for this) and every distinct n-gram counts once per post. Per product two decayed
counts are kept for each n-gram: a fast one (half-life = the detection window) and a slow one
(half-life = the baseline). A term is emerging when its fast count is far above what its slow
rate predicts for one window (Poisson tail below ``P_EMERGING``) and it appeared in at least
``MIN_POSTS`` posts. Of overlapping n-grams ("停售", "停售了", "售了") the longest with (nearly)
the same count is reported.

Memory is bounded: at most ``MAX_TERMS`` n-grams per product. When the table overflows, the
weakest half (by the larger of the two counts, on a common time scale) is dropped, the
space-saving idea: a term that keeps appearing comes straight back, a one-off does not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .countmodel import tail

__all__ = ["EmergingTerms", "Emerging", "ngrams"]

MIN_N, MAX_N = 2, 4
# Characters of a post looked at (title first): a new problem is named early, in the title or
# the first sentences, and the cost per post stays flat whatever the post's length.
MAX_TEXT = 120
MAX_TERMS = 3000
MIN_POSTS = 3
P_EMERGING = 1e-4
MIN_BACKGROUND = 20.0  # decayed posts of history needed before anything counts as "new"
REBASE_AFTER = 200.0  # fast e-folding times between epochs: exp(200) is far from overflow

# Function characters: a phrase that starts or ends on one was cut across words.
_PARTICLES = frozenset("的了在是和与也就都还又很吧吗呢啊呀着过被把给对从到为我你他她们这那有个")

# Digits split runs as punctuation does: amounts, dates and phone digits differ from post to
# post and are not a topic, and no n-gram then needs checking for them.
_SPLIT = re.compile(r"[^\u4e00-\u9fffa-z]+")


def _pieces(terms: Iterable[str]) -> frozenset[str]:
    """Every n-gram inside the given terms (product names): never reported as new."""
    return frozenset(
        t[i : i + n] for t in terms for n in range(MIN_N, MAX_N + 1) for i in range(len(t) - n + 1)
    )


def ngrams(text: str, exclude: Iterable[str] | frozenset[str] = ()) -> set[str]:
    """Distinct 2–4 character n-grams of the CJK and Latin-letter runs of ``text``; n-grams
    that are pieces of an ``exclude`` term (or of its n-grams, given as a frozenset) are left out."""
    out = {
        run[i : i + n]
        for run in _SPLIT.split(text[:MAX_TEXT].lower())
        for n in range(MIN_N, MAX_N + 1)
        for i in range(len(run) - n + 1)
    }
    if exclude:
        out -= exclude if isinstance(exclude, frozenset) else _pieces(e.lower() for e in exclude)
    return out


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
        self.exclude = _pieces(e.lower() for e in exclude if e)
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
        terms = self.terms
        for g in ngrams(text, self.exclude):
            entry = terms.get(g)
            if entry is None:
                terms[g] = [fast, slow]
            else:
                entry[0] += fast
                entry[1] += slow
        if len(terms) > MAX_TERMS:
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
            # Prefer the longest phrase; drop its pieces unless they are much more common.
            if any(e.term in c.term and e.recent <= c.recent * 1.5 for c in chosen):
                continue
            chosen.append(e)
        chosen = _join(chosen)
        chosen.sort(key=lambda e: (-e.recent, -len(e.term), e.term))
        return chosen[:limit]

    def _reportable(self, term: str) -> bool:
        """Worth showing a person: not cut at a particle, not a piece of a product's name."""
        if term[0] in _PARTICLES or term[-1] in _PARTICLES:
            return False  # 的安心, 买了: the cut falls across words
        return not any(term[i : i + 2] in self.exclude for i in range(len(term) - 1))

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


def _join(terms: list[Emerging]) -> list[Emerging]:
    """Glue overlapping n-grams of about the same count back into the phrase they came from:
    "突然停售" + "然停售了" -> "突然停售了"."""
    out = list(terms)
    merged = True
    while merged:
        merged = False
        for a in out:
            for b in out:
                if a is b or abs(a.recent - b.recent) > 0.25 * max(a.recent, b.recent):
                    continue
                k = len(b.term) - 1
                if k >= 2 and a.term.endswith(b.term[:k]) and not a.term.endswith(b.term):
                    joined = Emerging(
                        a.term + b.term[k:], min(a.recent, b.recent), max(a.expected, b.expected)
                    )
                    out = [
                        e for e in out if e is not a and e is not b and e.term not in joined.term
                    ]
                    out.append(joined)
                    merged = True
                    break
            if merged:
                break
    return out
