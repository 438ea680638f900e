"""What the sentiment classifier sees of a text: character n-grams, negation and cue words.

snownlp's own pipeline segments words with a pure-Python HMM, which costs ~4 ms a post.
Character unigrams and bigrams carry most of the same signal for Chinese (a two-character
bigram *is* most words) at a hundredth of the cost, and need no dictionary.

Negation is handled at the feature level: after a negator (不, 没有, 并非, ...) the next few
characters are emitted with a ``~`` prefix, so the classifier learns ``~满意`` apart from
``满意``. A second negator inside the scope flips it back, which is how 不是不赔 and
没有不满意 end up read as their plain meaning.

``analyse`` also reports question and consultation cues (请问, 怎么, 吗, a closing ？) and
whether a complaint cue is present; the scorer's neutral stage reads those.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["NEGATION_WINDOW", "NEGATED", "QUESTION", "analyse", "features"]

NEGATED = "~"  # prefix of a feature read under an odd number of negators
NEGATION_WINDOW = 4  # characters after a negator that it governs, unless punctuation comes first
QUESTION = "@q"  # one per question or consultation cue (请问, 怎么, 吗, ...)
QUESTION_END = "@q?"  # the text ends in a question mark

# Group 1 are words that start with a negator character but do not negate what follows
# (不错 is praise, 非常 is "very"); listing them first makes the regex consume them whole.
_NEGATION = re.compile(
    "(不错|不过|不仅|不但|不少|不断|不管|不论|不久|不同|不禁|不得不|不一定|非常|无论|没想到)"
    "|(并非|并不|并没有|并没|不是|没有|从不|从没|绝不|决不|毫不|无法|不|没|未|别)"
)
# Scope of a negator ends at a clause boundary (text is NFKC-normalised, so ASCII forms).
_CLAUSE_END = frozenset(",.!?;:、。!?;~… \n\t\"'()[]")

# Cue words pooled into one feature each. Single words are too rare in review training text
# to get a weight of their own; pooled, every complaint term lends weight to the others.
# The pooled features are negation-aware like any other (并非拒赔 gives ~@neg).
_NEG_CUES = re.compile(
    "拒赔|拒绝理赔|理赔难|不予赔付|不赔|骗|坑|忽悠|误导|套路|霸王条款|扣费|扣了|亏了|损失|涨价|"
    "涨了|停售|骚扰|投诉|维权|退钱|推诿|踢皮球|拖延|石沉大海|敷衍|恶心|垃圾|无语|失望|后悔|"
    "差评|气死|太差|黑心|欺诈|上当|态度差|没人管|不理|不回|一拖再拖|等了"
)
_POS_CUES = re.compile(
    "秒赔|到账|赔付很快|很快|及时|满意|点赞|感谢|谢谢|专业|耐心|靠谱|省心|放心|推荐|给力|"
    "顺利|贴心|周到|热情|高效|好评|良心"
)
# Praise in quotation marks, or a laugh that is not one, is mostly sarcasm in complaints.
_SARCASM = re.compile(
    "[\"'“”‘’「『][^\"'“”‘’」』]{1,5}[\"'“”‘’」』]|呵呵|哈哈哈哈|真是服了|可真是|真是太"
)
# One pass over the text for all three: a regex scan per list would cost as much as the
# n-grams do on a 300-character post. The leading lookahead lists every character a cue can
# start with, so the engine skips other positions without trying each alternative there;
# it changes nothing about what matches.
_SARCASM_FIRST = "\"'“”‘’「『呵哈真可"


def _starts(*literal_patterns: str) -> str:
    return "".join(sorted({alt[0] for p in literal_patterns for alt in p.split("|")}))


_CUES = re.compile(
    f"(?=[{re.escape(_SARCASM_FIRST + _starts(_NEG_CUES.pattern, _POS_CUES.pattern))}])"
    f"(?:(?P<sarc>{_SARCASM.pattern})|(?P<neg>{_NEG_CUES.pattern})|(?P<pos>{_POS_CUES.pattern}))"
)
_CUE_NAMES = {"sarc": "@sarc", "neg": "@neg", "pos": "@pos"}

# Asking and consulting: what a neutral question reads like. Rhetorical questions share
# these words (凭什么不赔？ has 什么), which is why they only open the neutral stage when no
# complaint cue is present (see ``analyse``).
_QUESTION_WORDS = (
    "请问|请教|咨询|想问|想了解|想知道|了解一下|问一下|问问|怎么|如何|怎样|哪个|哪些|哪里|"
    "哪家|多少|多久|多长|什么|是否|能不能|可不可以|可以吗|要不要|有没有|吗|呢|有谁|有人|"
    "求推荐|区别|需要"
)
_QUESTION_CUES = re.compile(f"(?=[{_starts(_QUESTION_WORDS)}])(?:{_QUESTION_WORDS})")


def _negation_flags(text: str) -> list[bool] | None:
    """Per character: is it read under an odd number of negators? None if no negator."""
    flags: list[bool] | None = None
    n = len(text)
    parity = False
    scope_end = -1  # first position no longer governed by the last negator
    for m in _NEGATION.finditer(text):
        if m.group(1):
            continue
        start, end = m.span()
        if flags is None:
            flags = [False] * n
        # A negator inside the previous one's scope flips it (double negation); outside
        # it starts afresh.
        parity = (not parity) if start < scope_end else True
        stop = min(n, end + NEGATION_WINDOW)
        i = end
        while i < stop and text[i] not in _CLAUSE_END:
            flags[i] = parity
            i += 1
        scope_end = i
    return flags


def _cues(text: str, flags: list[bool] | None) -> list[str]:
    out = []
    for m in _CUES.finditer(text):
        cue = _CUE_NAMES[m.lastgroup or ""]
        # Sarcasm marks are never negated: 不"好" is no less sarcastic.
        if flags is not None and cue != "@sarc" and flags[m.start()]:
            cue = NEGATED + cue
        out.append(cue)
    return out


def _normalise(text: str) -> str:
    # Training text is full-width, live text may be NFKC-normalised already; read both alike.
    # The quick check spares the full normalisation for text the Understander already cleaned.
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def features(text: str) -> list[str]:
    """The bag of features for ``text``: unigrams, bigrams and pooled cue words."""
    return _features(_normalise(text))[0]


def analyse(text: str) -> tuple[list[str], list[str], bool]:
    """``(features(text), question cues, complaint)`` in one normalisation.

    Question cues are ``QUESTION`` per cue word plus ``QUESTION_END``; ``complaint`` is
    true when the text carries a plain (not negated) complaint cue, a sarcasm mark or an
    exclamation mark. The neutral stage reads texts with question cues and no complaint.
    """
    t = _normalise(text)
    feats, cues = _features(t)
    questions = [QUESTION] * len(_QUESTION_CUES.findall(t))
    if t.rstrip().endswith("?"):
        questions.append(QUESTION_END)
    complaint = "!" in t or "@neg" in cues or "@sarc" in cues
    return feats, questions, complaint


def _features(t: str) -> tuple[list[str], list[str]]:
    """(all features, the cue features among them) of normalised text."""
    n = len(t)
    flags = _negation_flags(t)
    if flags is None:
        out = list(t)
        out += [t[i : i + 2] for i in range(n - 1)]
    else:
        out = [NEGATED + c if f else c for c, f in zip(t, flags, strict=True)]
        out += [NEGATED + t[i : i + 2] if flags[i] else t[i : i + 2] for i in range(n - 1)]
    cues = _cues(t, flags)
    out += cues
    return out, cues
