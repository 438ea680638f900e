"""Whether a term found in a text stands there as a word: "乐驾" in "乐驾理赔太慢" does, in
"快乐驾驶" it does not (快乐 / 驾驶 are the words there).

The text around the term is cut into words the way jieba cuts it without its HMM: the cut whose
words are jointly most probable under jieba's dictionary (word counts from a large corpus), with
the watched terms added to that dictionary. The term counts only when the cut starts a word where
it starts and ends one where it ends. Added at a low count, a name wins where nothing better is
written ("乐驾" over 乐 + 驾) and loses to real words around it (快乐 + 驾驶 over 快 + 乐驾 + 驶).

jieba's dictionary is only read, never added to: every ``WordCheck`` lays its own terms over it in
a dictionary of its own, so two configs never see each other's names and no other user of jieba
sees them either. The dictionary read is the one of jieba's default tokenizer, loaded once per
process: ``detector.emerging`` cuts complaints with that tokenizer, and a second copy of the same
counts would cost the daemon some 70 MB. Only the term's
neighbourhood is cut (``REACH`` characters each way, within the run of letters around it): the
words far away cannot change where the ones next to it begin and end, and a post is cut only
where a term was found, so tagging stays a few microseconds a hit.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterable, Mapping

__all__ = ["REACH", "TERM_COUNT", "WordCheck"]

# Characters cut on each side of a term. Chinese words are mostly two to four characters: six
# reach past the word that could overlap the term and the one before that.
REACH = 6
# The count a watched term gets in the dictionary (jieba's counts run from 1 to about 900,000;
# 快乐 2,516, 安康 124). Chosen on the training part of tests/data/complaint_gate.tsv: low enough
# that 幸福满堂 and 称心如意安康 stay wishes, high enough that a name beats its own characters.
TERM_COUNT = 10

# jieba reads as one block the characters it may join into words; anything else ends a word.
_BLOCK = re.compile(r"[\u4e00-\u9fd5a-z0-9+#&._%-]+")

_lock = threading.Lock()
_base: tuple[Mapping[str, int], int] | None = None


def _dictionary() -> tuple[Mapping[str, int], int]:
    """jieba's main dictionary (word -> count, 0 for a prefix of a longer word) and its total,
    as its default tokenizer loaded it. Read only."""
    global _base
    with _lock:
        if _base is None:
            import jieba  # on first use: loading the dictionary takes a second or two

            jieba.setLogLevel(logging.WARNING)
            jieba.dt.check_initialized()
            _base = (jieba.dt.FREQ, jieba.dt.total)
        return _base


class WordCheck:
    """``is_word(text, start, end)``: does ``text[start:end]`` stand as a word in ``text``?

    ``text`` is folded (lower case) as the matcher's texts are; ``terms`` are folded too.
    """

    def __init__(self, terms: Iterable[str], count: int = TERM_COUNT):
        self._terms = tuple(dict.fromkeys(t for t in terms if t))
        self._count = count
        self._own: dict[str, int] | None = None  # built on first use: it reads jieba's counts
        self._log_total = 0.0

    def _layer(self) -> dict[str, int]:
        base, total = _dictionary()
        own: dict[str, int] = {}
        for term in self._terms:
            # A term that is a common word already (平安) keeps its own, higher count.
            own[term] = max(self._count, base.get(term) or 0)
        for term in self._terms:
            for i in range(1, len(term)):
                if term[:i] not in own:
                    own[term[:i]] = base.get(term[:i]) or 0  # lets the search go on to the term
        # jieba's add_word adds each word's count to the total.
        self._log_total = math.log(total + sum(own[t] - (base.get(t) or 0) for t in self._terms))
        self._own = own
        return own

    def is_word(self, text: str, start: int, end: int) -> bool:
        lo = max(0, start - REACH)
        if not (self._crossed(text, start, lo) or self._crossed(text, end, lo)):
            return True  # no word of the dictionary runs across either edge: nothing to weigh
        hi = min(len(text), end + REACH)
        # Only the block of word characters holding the term: punctuation ends words anyway.
        for m in _BLOCK.finditer(text, lo, hi):
            if m.start() <= start and end <= m.end():
                lo, hi = m.start(), m.end()
                break
        else:
            return True  # the term has a character jieba would not join: it stands alone
        cuts = self.boundaries(text[lo:hi])
        return start - lo in cuts and end - lo in cuts

    def _crossed(self, text: str, at: int, lo: int) -> bool:
        """Whether some dictionary word could run across offset ``at`` (from no earlier than
        ``lo``). The dictionary holds every prefix of its words, so such a word shows as a
        known prefix ``text[s:at + 1]``; most names in most posts have none, and need no cut."""
        if at >= len(text):
            return False
        base, _ = _dictionary()
        own = self._own if self._own is not None else self._layer()
        for s in range(max(lo, at - REACH), at):
            frag = text[s : at + 1]
            if frag in own or frag in base:
                return True
        return False

    def boundaries(self, s: str) -> set[int]:
        """Offsets in ``s`` where jieba's cut (no HMM) with our terms added starts a word."""
        base, _ = _dictionary()
        own = self._own if self._own is not None else self._layer()
        log_total = self._log_total
        n = len(s)
        # best[i]: (log-probability of the best cut of s[i:], end of its first word); jieba's
        # ``calc`` over jieba's ``get_DAG``, ties to the longer word as ``max`` gives them.
        best: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        for i in range(n - 1, -1, -1):
            choice: tuple[float, int] | None = None
            k = i
            while k < n:
                frag = s[i : k + 1]
                f = own.get(frag)
                if f is None:
                    f = base.get(frag)
                    if f is None:
                        break
                if f:
                    candidate = (math.log(f) - log_total + best[k + 1][0], k)
                    if choice is None or candidate >= choice:
                        choice = candidate
                k += 1
            if choice is None:  # a character the dictionary does not know is a word of its own
                choice = (-log_total + best[i + 1][0], i)
            best[i] = choice
        cuts = {0}
        i = 0
        while i < n:
            i = best[i][1] + 1
            cuts.add(i)
        return cuts
