"""Bytes to text for every collector: the declared charset, else detection that must convince.

The order: a byte-order mark; then what the source declares (the HTTP header, then the page's
``<meta>`` or the XML declaration), used when the bytes decode under it into plausible text;
then valid UTF-8; then detection. Detection tries the encodings Chinese sources use (GB18030,
Big5, UTF-16 without a byte-order mark) and charset-normalizer's guesses, and keeps only a
decoding that reads as plausible text: no replacement or control characters, and Chinese
characters nearly all standard ones. That check is what stops mojibake: GB18030 decodes almost
any bytes, so Big5 or UTF-16 read as GB18030 "succeed", but into rare characters, kana and
symbols no one writes; a short GBK page "is" Korean to charset-normalizer alone.
What no candidate decodes plausibly is ``UndecodableError``, never a best guess.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

import charset_normalizer

__all__ = [
    "LineTooLongError",
    "UndecodableError",
    "decode_text",
    "detect_encoding",
    "iter_lines",
    "plausibility",
]

# How much of a long text detection looks at; the rest is decoded strictly with what it chose.
SAMPLE_BYTES = 64 * 1024
CHUNK_BYTES = 256 * 1024
# The Chinese characters in a real text are nearly all standard ones; mojibake's are not.
MIN_PLAUSIBILITY = 0.9
# Characters of the sample judged for plausibility: plenty to tell, and cheap per page.
JUDGED_CHARS = 2048
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

# What valid UTF-8 may not hold to be taken as text: controls (a binary file, or UTF-16).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


class UndecodableError(ValueError):
    """Bytes that cannot be read as text with confidence; ``str()`` says why and what to do.

    ``line``: the line the problem is on, when the text was read as lines (``iter_lines``);
    ``reason``: the message without the place.
    """

    def __init__(self, where: str, reason: str, line: int | None = None):
        self.where = where
        self.reason = reason
        self.line = line
        place = where if line is None else f"{where} line {line}"
        super().__init__(f"{place}: {reason}")


class LineTooLongError(UndecodableError):
    """A line longer than the reader's limit: refused before the rest of it is read."""


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


_PLAUSIBLE = (
    _standard_hanzi()
    | frozenset(map(chr, range(0x3000, 0x3040)))  # CJK punctuation: 。、「」【】…
    | frozenset(map(chr, range(0xFF00, 0xFFF0)))  # full-width forms: ，！？（）
    | frozenset(map(chr, range(0x2000, 0x2070)))  # general punctuation: “”‘’…—
    | frozenset("·°×÷\ufeff")  # the middle dot of names, degrees, times, division; a BOM
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Controls (but tab, newlines, form feed), C1 controls, private use, surrogates, U+FFFD.
_BROKEN = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\uf8ff\ufffd\U000f0000-\U0010ffff]")


def plausibility(text: str) -> float:
    """The share of a text's non-ASCII characters that a Chinese text plausibly holds.

    0 for any replacement or control character (a lossy or binary decoding). Plausible are the
    standard Chinese characters and CJK, full-width and general punctuation; implausible are
    rare ideographs, kana, Hangul, Cyrillic, accented Latin letters and the like, which is what
    mojibake is made of (single-byte code pages turn any bytes into accented letters; a text
    that really is in one is not something this reads: UTF-8 covers it). Pure ASCII is 1.
    """
    if _BROKEN.search(text):
        return 0.0
    wide = _NON_ASCII.findall(text)
    if not wide:
        return 1.0
    return sum(map(_PLAUSIBLE.__contains__, wide)) / len(wide)


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
                raise UndecodableError(where, f"broken {encoding} text after its byte-order mark")
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
        # into rare characters. The bar is lower than for a guess: rare names are real. Valid
        # UTF-8 needs no second opinion (and is most pages: they cost one decode of the sample).
        if text is not None and (
            encoding == "utf-8" or plausibility(text[:JUDGED_CHARS]) >= MIN_DECLARED_PLAUSIBILITY
        ):
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
        score = plausibility(text[:JUDGED_CHARS])
        if score >= MIN_PLAUSIBILITY:
            ranked.append((score, -rank, encoding))
    if ranked:
        # Short texts may read well in two encodings; the order of the candidates decides.
        return max(ranked)[2]
    if utf8 is not None and "\x00" in utf8:
        raise UndecodableError(where, "not a text file (it contains NUL bytes)")
    said = f" (declared: {', '.join(tried)})" if tried else ""
    raise UndecodableError(
        where,
        f"cannot tell the text's encoding with confidence{said}: it is not UTF-8"
        f"{_first_bad_utf8(sample)} and reads as none of GBK/GB18030, Big5 or UTF-16 without "
        "garbled characters; save it as UTF-8",
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
            where,
            f"not {encoding} text: byte {data[exc.start]:#04x} at offset {exc.start} does not "
            "fit the encoding the start of the text is in; save it as UTF-8",
        ) from None
    return text.removeprefix("\ufeff")


def iter_lines(
    stream: BinaryIO,
    *,
    where: str,
    declared: Iterable[str | None] = (),
    max_line_chars: int | None = None,
) -> Iterator[tuple[int, str]]:
    """(line number, line with its "\\n") for each line of a binary stream, read as it comes.

    The encoding is chosen from the first bytes (``detect_encoding``); the rest is decoded
    strictly with it, a chunk at a time, so a text of any size is never held whole, and a line
    over ``max_line_chars`` is refused (``LineTooLongError``) once that much of it was read.
    Lines end at "\\n" only, never at U+2028 or U+0085, which JSON strings may hold unescaped.
    ``read1`` is used where the stream has it, so a pipe's lines come as they are written.
    """
    read: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
    # Fewer bytes than asked only at the end, or when a pipe's writer pauses (a person typing):
    # detection then works with the first lines.
    head = read(SAMPLE_BYTES)
    encoding = detect_encoding(head, where=where, declared=declared, final=len(head) < SAMPLE_BYTES)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    number, pending, chunk, first = 1, "", head, True
    while True:
        final = not chunk
        try:
            text, broken = decoder.decode(chunk, final=final), None
        except UnicodeDecodeError as exc:
            # exc.object starts where the decoder's last whole character ended: the text before
            # the bad byte is good, and its lines are given before the error.
            text, broken = exc.object[: exc.start].decode(encoding, errors="replace"), exc
        if first:
            text, first = text.removeprefix("\ufeff"), False
        pending += text
        lines = pending.split("\n")
        pending = lines.pop()
        for line in lines:
            _check_length(line, number, where, max_line_chars)
            yield number, line + "\n"
            number += 1
        _check_length(pending, number, where, max_line_chars)
        if broken is not None:
            reason = (
                f"byte {broken.object[broken.start]:#04x} is not {encoding} text, the encoding "
                "the start of it is in; save it as UTF-8"
            )
            raise UndecodableError(where, reason, number)
        if final:
            break
        chunk = read(CHUNK_BYTES)
    if pending:
        yield number, pending


def _check_length(line: str, number: int, where: str, limit: int | None) -> None:
    if limit is not None and len(line) > limit:
        reason = (
            f"line longer than {limit:,} characters (the limit max_line_chars); split it into "
            "one record per line, or raise the limit"
        )
        raise LineTooLongError(where, reason, number)
