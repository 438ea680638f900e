"""Bytes to text for every collector: the declared charset, else detection that must convince.

The order: a byte-order mark; then what the source declares (the HTTP header, then the page's
``<meta>`` or the XML declaration), used when the bytes decode under it; then detection.
Detection asks charset-normalizer for candidates and adds the encodings Chinese sources use
(UTF-8, GB18030, Big5, UTF-16), then keeps only a decoding that reads as plausible text: no
replacement or control characters, and Chinese characters nearly all standard ones. That
check is what stops mojibake: GB18030 decodes almost any bytes, so Big5 or UTF-16 read as
GB18030 "succeed", but into strings of rare characters, kana and Cyrillic no one writes.
What no candidate decodes plausibly is ``UndecodableError``, never a best guess.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable

import charset_normalizer

__all__ = ["UndecodableError", "detect_encoding", "decode_text", "plausibility"]

# How much of a long text detection looks at; the rest is decoded strictly with what it chose.
SAMPLE_BYTES = 64 * 1024
# The Chinese characters in a real text are nearly all standard ones; mojibake's are not.
MIN_PLAUSIBILITY = 0.9
MIN_DECLARED_PLAUSIBILITY = 0.5
_CJK_CANDIDATES = ("gb18030", "big5", "big5hkscs", "utf_16_le", "utf_16_be")
_BOMS = (
    (codecs.BOM_UTF8, "utf_8_sig"),
    (codecs.BOM_UTF32_LE, "utf_32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf_32"),
    (codecs.BOM_UTF16_LE, "utf_16"),
    (codecs.BOM_UTF16_BE, "utf_16"),
    (b"\x84\x31\x95\x33", "gb18030"),
)


_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


class UndecodableError(ValueError):
    """Bytes that cannot be read as text with confidence; ``str()`` says why and what to do."""


def _standard_hanzi() -> frozenset[str]:
    """The ideographs of GB2312 (6,763 simplified) and Big5 (13,053 traditional): the
    characters nearly every Chinese text is written in. Mojibake lands mostly outside them,
    in GBK's and Unicode's rare extensions, or in kana, Hangul and symbols."""
    chars: set[str] = set()
    for lead in range(0xB0, 0xF8):
        row = bytes(b for trail in range(0xA1, 0xFF) for b in (lead, trail))
        chars.update(row.decode("gb2312", errors="ignore"))
    for lead in range(0xA4, 0xFA):
        for trails in (range(0x40, 0x7F), range(0xA1, 0xFF)):
            row = bytes(b for trail in trails for b in (lead, trail))
            chars.update(row.decode("big5", errors="ignore"))
    return frozenset(c for c in chars if "\u4e00" <= c <= "\u9fff")


_STANDARD = _standard_hanzi()
# Non-ASCII signs Chinese texts use: the middle dot of names, degrees, times, division.
_SIGNS = frozenset("·°×÷")


def plausibility(text: str) -> float:
    """The share of a text's non-ASCII characters that a Chinese text plausibly holds.

    0 for any replacement or control character (a lossy or binary decoding). Plausible are the
    standard Chinese characters and CJK, full-width and general punctuation; implausible are
    rare ideographs, kana, Hangul, Cyrillic, accented Latin letters and the like, which is what
    mojibake is made of (single-byte code pages turn any bytes into accented letters; a text
    that really is in one is not something this reads: UTF-8 covers it). Pure ASCII is 1.
    """
    good = total = 0
    for c in text:
        if c < "\x80":
            if c < " " and c not in "\t\n\r\f":
                return 0.0
            continue
        total += 1
        if c in _STANDARD or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef":
            good += 1
        elif c == "\ufffd" or c == "\x00" or unicodedata.category(c) in ("Cc", "Co", "Cs"):
            return 0.0
        elif "\u2000" <= c <= "\u206f" or c in _SIGNS or c == "\ufeff":
            good += 1  # general punctuation (…, “”, —), a stray BOM
    return good / total if total else 1.0


def _decode_sample(data: bytes, encoding: str, final: bool) -> str | None:
    """``data`` decoded strictly, or None; a sample cut mid-character is fine when not final."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        return decoder.decode(data, final=final)
    except (UnicodeDecodeError, LookupError):
        return None


def _canonical(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def detect_encoding(
    data: bytes, *, where: str, declared: Iterable[str | None] = (), final: bool = True
) -> str:
    """The codec to read ``data`` with (a leading part of the text when ``final`` is False).

    ``declared``: the charsets the source names, most authoritative first (header, meta).
    Raises UndecodableError, naming ``where``.
    """
    sample = data[:SAMPLE_BYTES]
    final = final and len(data) <= SAMPLE_BYTES
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            if _decode_sample(sample, encoding, final) is None:
                raise UndecodableError(f"{where}: broken {encoding} text after its byte-order mark")
            return encoding
    tried: list[str] = []
    for name in declared:
        encoding = _canonical(name) if name else None
        if encoding is None or encoding in tried:
            continue
        tried.append(encoding)
        text = _decode_sample(sample, encoding, final)
        # A declared charset is trusted when the bytes decode under it, unless only mojibake
        # could come out: GBK sent as "utf-8" fails to decode, Big5 sent as "gbk" decodes but
        # into rare characters. The bar is lower than for a guess: rare names are real.
        if text is not None and plausibility(text) >= MIN_DECLARED_PLAUSIBILITY:
            return encoding
    utf8 = _decode_sample(sample, "utf_8", final)
    if utf8 is not None and not _CONTROLS.search(utf8):
        # Valid UTF-8 with non-ASCII in it is practically never anything else (and emoji,
        # which no other candidate can hold, need no plausibility check). With NULs in it,
        # it is more likely UTF-16 without a byte-order mark, or not text at all.
        return "utf-8"
    ranked: list[tuple[float, int, str]] = []
    for rank, encoding in enumerate(_candidates(sample)):
        text = _decode_sample(sample, encoding, final)
        if text is None:
            continue
        score = plausibility(text)
        if score >= MIN_PLAUSIBILITY:
            ranked.append((score, -rank, encoding))
    if ranked:
        # Short texts may read well in two encodings; the order of the candidates decides.
        return max(ranked)[2]
    said = f" (declared: {', '.join(tried)})" if tried else ""
    raise UndecodableError(
        f"{where}: cannot tell the text's encoding with confidence{said}: it is not UTF-8"
        f"{_first_bad_utf8(sample)} and reads as none of GBK/GB18030, Big5 or UTF-16 without "
        "garbled characters; save it as UTF-8"
    )


def _first_bad_utf8(sample: bytes) -> str:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f" (byte {sample[exc.start]:#04x} at offset {exc.start})"
    return ""


def _candidates(sample: bytes) -> list[str]:
    """The encodings Chinese sources use, then charset-normalizer's other guesses, best first.

    Ours come first, GB18030 (mainland sources) before Big5, so that a tie (a short text may
    read well in two of them) goes to the encoding a Chinese source is likeliest to use.
    """
    found = [e for e in (_canonical(n) for n in _CJK_CANDIDATES) if e]
    for match in charset_normalizer.from_bytes(sample):
        encoding = _canonical(match.encoding)
        if encoding and encoding not in found:
            found.append(encoding)
    return found


def decode_text(data: bytes, *, where: str, declared: Iterable[str | None] = ()) -> str:
    """The whole of ``data`` as text (see the module docstring); raises UndecodableError."""
    encoding = detect_encoding(data, where=where, declared=declared)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        # Detection looked at the first part only; the rest broke the encoding it chose.
        raise UndecodableError(
            f"{where}: not {encoding} text: byte {data[exc.start]:#04x} at offset {exc.start} "
            f"does not fit the encoding the start of the text is in; save it as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")
