"""Bytes to text for transcript files: UTF-8, GBK/GB18030 or UTF-16 with a BOM, and nothing else.

Apart because it is the one step that looks at bytes: what comes out is text, whatever the format,
and a file that is not text is refused before any format is tried.
"""

from __future__ import annotations

import codecs

from .inbox_records import TranscriptError

__all__ = ["decode_bytes"]


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else GB18030, which is a superset of GBK and GB2312.

    Trying UTF-8 first is safe: GBK text is practically never valid UTF-8, while the reverse
    (reading UTF-8 as GB18030) often "succeeds" with garbage.
    """
    # Windows "Unicode" exports are UTF-16 with a BOM; without this they would be rejected below.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TranscriptError(name, None, None, f"broken UTF-16 text ({exc.reason})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise TranscriptError(
                name,
                None,
                None,
                f"not readable text: byte {data[utf8_error.start]:#04x} at offset "
                f"{utf8_error.start} is neither UTF-8 nor GBK/GB18030; save the file as UTF-8",
            ) from None
    text = text.removeprefix("\ufeff")  # a GB18030 BOM decodes to U+FEFF
    if "\x00" in text:
        # NUL decodes fine in both encodings but means a binary file (or UTF-16 without BOM).
        raise TranscriptError(name, None, None, "not a text file (it contains NUL bytes)")
    return text
