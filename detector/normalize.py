"""Text normalisation shared by every detector stage.

Posts arrive from forums, feeds and transcripts with full-width letters, odd spaces and
invisible characters. Normalising once, the same way everywhere, lets product names,
collective-action terms and copy detection match whatever the site did to the text.

Both functions run for every post, so the per-character work is done by ``str.translate`` with
tables built once from the Unicode database, not by a Python loop.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

__all__ = ["normalize", "skeleton"]

_SPACES = re.compile(r"\s+")


def _deletion_table(drop) -> dict[int, None]:
    """A ``str.translate`` table deleting every code point ``drop`` selects (built once)."""
    return {cp: None for cp in range(sys.maxunicode + 1) if drop(chr(cp))}


def _invisible(ch: str) -> bool:
    # Format characters (zero-width space/joiners, BOM, soft hyphen, bidi marks) and stray
    # control characters are invisible but split words; whitespace controls are kept and
    # collapsed with the other spaces.
    cat = unicodedata.category(ch)
    return cat == "Cf" or (cat == "Cc" and not ch.isspace())


def _not_letter_or_digit(ch: str) -> bool:
    # Punctuation (P*), symbols (S*, emoji included) and separators (Z*), plus whitespace.
    return unicodedata.category(ch)[0] in "PSZ" or ch.isspace()


# str.translate does a C-level table lookup per character: several times faster here than a
# regex with a class of thousands of code points. Built at the first text, not at import: half a
# second that commands which never read a post (``yujing --help``, ``yujing alert``) need not pay.
@cache
def _invisible_table() -> dict[int, None]:
    return _deletion_table(_invisible)


@cache
def _punct_space_table() -> dict[int, None]:
    return _deletion_table(_not_letter_or_digit)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width, compatibility forms), invisible characters dropped,
    every run of whitespace (full-width and non-breaking spaces included) made one space."""
    if not text:
        return ""
    if not unicodedata.is_normalized("NFKC", text):  # a cheap check; most text already is
        text = unicodedata.normalize("NFKC", text)
    text = text.translate(_invisible_table())
    return _SPACES.sub(" ", text).strip()


def skeleton(text: str) -> str:
    """The letters and digits of already normalised text, case-folded: what copy detection
    compares. Sites re-punctuate, re-space and re-case reposted text and copiers add emoji;
    the letters and digits stay."""
    return text.casefold().translate(_punct_space_table())
