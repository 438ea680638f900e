"""Text normalisation shared by every detector stage.

Posts arrive from forums, feeds and transcripts with full-width letters, odd spaces and
invisible characters. Normalising once, the same way everywhere, lets product names,
collective-action terms and duplicate checks match whatever the site did to the text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["normalize", "dedup_key"]

_SPACES = re.compile(r"\s+")


def _visible(ch: str) -> bool:
    # Format characters (zero-width space/joiners, BOM, soft hyphen, bidi marks) and stray
    # control characters are invisible but split words; whitespace controls are kept here
    # and collapsed below.
    cat = unicodedata.category(ch)
    if cat == "Cf":
        return False
    return not (cat == "Cc" and not ch.isspace())


def normalize(text: str) -> str:
    """NFKC (full-width to half-width, compatibility forms), invisible characters dropped,
    every run of whitespace (full-width and non-breaking spaces included) made one space."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if _visible(ch))
    return _SPACES.sub(" ", text).strip()


def _skeleton(text: str) -> str:
    # Sites re-punctuate, re-space and re-case reposted text; the letters and digits stay.
    # Punctuation (P*), symbols (S*, emoji included) and separators (Z*) are dropped.
    return "".join(
        ch for ch in normalize(text).casefold() if unicodedata.category(ch)[0] not in "PSZ"
    )


def dedup_key(title: str, text: str) -> str:
    """Key equal for the same complaint however it was punctuated, spaced or split between
    title and body, so one complaint reposted on two sites counts once."""
    skeleton = _skeleton(title) + _skeleton(text)
    return hashlib.sha256(skeleton.encode()).hexdigest()[:32]
