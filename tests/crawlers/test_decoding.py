"""crawlers.decoding: the declared charset when the bytes bear it out, else a plausible guess."""

from __future__ import annotations

import pytest

from yujing.crawlers.decoding import UndecodableError, decode_text, detect_encoding, plausibility

SIMPLIFIED = "客户投保安心医疗险，住院理赔被拒，理由是未如实告知。客户表示要向银保监投诉。"
TRADITIONAL = "客戶投保安心醫療險，住院理賠被拒，理由是未如實告知。客戶表示要向金管會投訴。"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (SIMPLIFIED, "gbk"),
        (SIMPLIFIED, "gb18030"),
        (TRADITIONAL, "big5"),
        (SIMPLIFIED, "utf-16-le"),
        (TRADITIONAL, "utf-16-be"),
        (SIMPLIFIED + " 😡", "utf-8"),
        ("理赔被拒", "gbk"),  # short: GB18030 before Big5 when both read well
        ("plain ASCII, nothing else", "ascii"),
    ],
)
def test_undeclared_text_is_read_in_its_encoding(text: str, encoding: str) -> None:
    assert decode_text(text.encode(encoding), where="x") == text


def test_gb18030_does_not_swallow_big5() -> None:
    data = TRADITIONAL.encode("big5")
    assert plausibility(data.decode("gb18030", errors="replace")) < 0.5
    assert detect_encoding(data, where="x") == "big5"


def test_a_wrong_declaration_is_overruled_by_the_bytes() -> None:
    # Declared utf-8, sent GBK (old boards); declared gbk, sent Big5 (decodes, as mojibake).
    assert detect_encoding(SIMPLIFIED.encode("gbk"), where="x", declared=["utf-8"]) == "gb18030"
    assert detect_encoding(TRADITIONAL.encode("big5"), where="x", declared=["gbk"]) == "big5"


def test_a_right_declaration_is_used() -> None:
    data = TRADITIONAL.encode("big5hkscs")
    assert detect_encoding(data, where="x", declared=[None, "big5hkscs"]) == "big5hkscs"


def test_a_text_cut_mid_character_is_judged_by_its_start() -> None:
    data = (SIMPLIFIED * 2000).encode("gbk")  # longer than the sample, cut anywhere
    assert detect_encoding(data[:100_001], where="x", final=False) == "gb18030"


def test_noise_is_refused_with_the_place_named() -> None:
    noise = bytes(0x81 + (i * 37) % 0x7E for i in range(400))
    with pytest.raises(UndecodableError, match=r"^http://x/1: cannot tell the text's encoding"):
        decode_text(noise, where="http://x/1")


def test_plausibility_marks_mojibake_and_binary() -> None:
    assert plausibility(SIMPLIFIED) == 1.0
    assert plausibility("理赔\ufffd被拒") == 0.0
    assert plausibility("abc\x00def") == 0.0
    assert plausibility("ÀíÅâ±»¾Ü") == 0.0  # GBK read as Latin-1
    assert plausibility("잿톄굳앳") == 0.0  # GBK read as Korean
