from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from yujing.config import ConfigError, load_config
from yujing.detector.redact import Redactor, id_card_valid, luhn_valid

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card(base17: str) -> str:
    """A resident ID number with its real GB 11643-1999 check character."""
    return (
        base17 + "10X98765432"[sum(int(d) * w for d, w in zip(base17, _WEIGHTS, strict=True)) % 11]
    )


def wrong_check(number: str) -> str:
    """The same number with a wrong check character that does not pass Luhn either."""
    for d in "0123456789":
        other = number[:17] + d
        if d != number[-1].upper() and not luhn_valid(other):
            return other
    raise AssertionError("unreachable")


def luhn(prefix: str) -> str:
    """``prefix`` plus the check digit that makes it pass Luhn."""
    for d in "0123456789":
        if luhn_valid(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")


def redact(text: str, patterns: tuple[str, ...] = ()) -> tuple[str, dict[str, int]]:
    return Redactor(patterns).redact(text)


# ---------------------------------------------------------------- ID cards

ID_PLAIN = id_card("11010519491231002")  # ends in X
ID_OTHER = id_card("32010219851120001")  # ends in a digit


def test_check_character_computed_like_the_standard():
    assert ID_PLAIN == "11010519491231002X"
    assert ID_OTHER[-1].isdigit()
    assert id_card_valid(ID_PLAIN) and id_card_valid(ID_OTHER)


@pytest.mark.parametrize("number", [ID_PLAIN, ID_PLAIN.lower(), ID_OTHER])
def test_valid_id_card_redacted(number):
    assert redact(f"我的身份证号{number}，请核实") == (
        "我的身份证号[身份证]，请核实",
        {"id_card": 1},
    )


def test_grouped_id_card_redacted():
    grouped = f"{ID_OTHER[:6]} {ID_OTHER[6:14]} {ID_OTHER[14:]}"
    assert redact(f"身份证:{grouped}") == ("身份证:[身份证]", {"id_card": 1})


def test_wrong_check_character_is_not_an_id_card():
    number = wrong_check(ID_OTHER)
    assert not id_card_valid(number)
    assert redact(f"编号{number}") == (f"编号{number}", {})


def test_wrong_check_but_valid_luhn_is_a_bank_card():
    base = "62220200000000001"  # 18 digits in all, check digit chosen for Luhn
    number = luhn(base)
    assert len(number) == 18 and not id_card_valid(number)
    assert redact(number) == ("[银行卡]", {"bank_card": 1})


@pytest.mark.parametrize(
    "base17",
    [
        "11010519491331002",  # month 13
        "11010520230230001",  # 30 February
        "11010518991231002",  # born before 1900
        "99010519491231002",  # no such province
    ],
)
def test_impossible_birth_date_or_province_is_not_an_id_card(base17):
    number = id_card(base17)
    assert not id_card_valid(number)
    assert "id_card" not in redact(number)[1]


def test_birth_date_in_the_future_is_not_an_id_card():
    number = id_card("11010520990101001")
    assert not id_card_valid(number, today=date(2025, 1, 1))
    assert id_card_valid(number, today=date(2100, 1, 1))


def test_id_card_inside_a_longer_digit_run_is_left():
    text = f"流水号9{ID_OTHER}7"
    assert redact(text)[1].get("id_card") is None


# ---------------------------------------------------------------- mobile numbers


@pytest.mark.parametrize(
    "number",
    [
        "13800138000",
        "19912345678",
        "138-0013-8000",
        "138 0013 8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "008613800138000",
        "86-138-0013-8000",
    ],
)
def test_mobile_formats_redacted(number):
    assert redact(f"有事打{number}找我") == ("有事打[手机号]找我", {"phone": 1})


@pytest.mark.parametrize(
    "text",
    [
        "客服热线010-12345678",  # a Beijing landline
        "订单号213800138000",  # eleven digits inside twelve
        "编号13800138000123",  # inside a longer run
        "12800138000",  # 12x is no mobile prefix
        "1380013800",  # ten digits
    ],
)
def test_not_mobile(text):
    assert "phone" not in redact(text)[1]
    assert redact(text)[0] == text


def test_two_phones_counted():
    assert redact("13800138000或者13912345678") == ("[手机号]或者[手机号]", {"phone": 2})


# ---------------------------------------------------------------- bank cards

CARD = luhn("622202123456789012")  # 19 digits
CARD_BAD = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)


@pytest.mark.parametrize(
    "number",
    [
        CARD,
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}",
        f"{CARD[:6]} {CARD[6:]}",
    ],
)
def test_valid_bank_card_redacted(number):
    assert redact(f"卡号{number}被扣款") == ("卡号[银行卡]被扣款", {"bank_card": 1})


@pytest.mark.parametrize("number", ["4111111111111112", "4111 1111 1111 1112", CARD_BAD])
def test_invalid_luhn_kept(number):
    # Without words that say it is a card (卡号, 银行卡 ...), a failed Luhn check means it is not.
    assert redact(f"编号{number}")[0] == f"编号{number}"


def test_short_numbers_and_amounts_are_kept():
    text = "扣了1200元，2024年3月15日，订单12345678"
    assert redact(text) == (text, {})


# ---------------------------------------------------------------- e-mail and policy numbers


def test_email_redacted_even_with_a_phone_in_it():
    text = "发到13800138000@163.com或zhang.san+ins@mail.example.cn谢谢"
    assert redact(text) == ("发到[邮箱]或[邮箱]谢谢", {"email": 2})


def test_policy_numbers_by_configured_pattern():
    patterns = (r"P[0-9]{12}", r"8860[0-9]{10}")
    text = "保单号P202401010001，另一张88601234567890，P12短的不算"
    assert redact(text, patterns) == ("保单号[保单号]，另一张[保单号]，P12短的不算", {"policy": 2})


def test_a_policy_pattern_matches_only_a_whole_run_of_letters_and_digits():
    patterns = (r"P[0-9]{12}", r"8860[0-9]{10}")
    text = "XP202401010001 P2024010100019 A88601234567890 单号P202401010001号"
    assert redact(text, patterns) == (
        "XP202401010001 P2024010100019 A88601234567890 单号[保单号]号",
        {"policy": 1},
    )


def test_policy_pattern_wins_over_the_generic_shapes():
    # a policy number that happens to look like a bank card is reported as a policy number
    assert redact("4111111111111111", (r"4111[0-9]{12}",)) == ("[保单号]", {"policy": 1})


def test_nothing_to_redact():
    assert redact("") == ("", {})
    assert redact("理赔拖了三个月") == ("理赔拖了三个月", {})


def test_everything_at_once():
    text = f"身份证{ID_PLAIN}手机138-0013-8000卡4111111111111111邮箱a@b.cn"
    assert redact(text) == (
        "身份证[身份证]手机[手机号]卡[银行卡]邮箱[邮箱]",
        {"id_card": 1, "phone": 1, "bank_card": 1, "email": 1},
    )


# ---------------------------------------------------------------- configuration


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "yujing.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_policy_patterns_load_from_config(tmp_path):
    path = write(
        tmp_path,
        """\
        privacy:
          policy_patterns:
            - "P[0-9]{12}"
        """,
    )
    config = load_config(path)
    assert Redactor(config.privacy.policy_patterns).redact("P202401010001")[0] == "[保单号]"


def test_bad_policy_regex_is_a_config_error_naming_file_line_and_field(tmp_path):
    path = write(
        tmp_path,
        """\
        privacy:
          salt: a-long-enough-salt
          policy_patterns:
            - "P[0-9]{12}"
            - "(P[0-9"
            - "[0-9]*"
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [
        f"{path}:5: privacy.policy_patterns[1]: invalid regular expression '(P[0-9': "
        "missing ]: [0-9",
        f"{path}:6: privacy.policy_patterns[2]: pattern '[0-9]*' matches empty text "
        "and would redact everywhere",
    ]


@pytest.mark.parametrize("number", ["139.1234.5678", "139/1234/5678", "+86.139.1234.5678"])
def test_mobile_with_dots_and_slashes_redacted(number):
    assert Redactor().redact(f"电话{number}，速回") == ("电话[手机号]，速回", {"phone": 1})


def test_amounts_and_dates_with_dots_and_slashes_are_kept():
    text = "保费 1380.50 元，2026/11/30 到期，版本 3.2.1"
    assert Redactor().redact(text) == (text, {})


def test_email_with_a_chinese_name_redacted():
    assert Redactor().redact("发到 张三@example.com 谢谢") == ("发到 [邮箱] 谢谢", {"email": 1})


def test_a_typo_does_not_make_a_number_less_personal_when_the_words_say_what_it_is():
    bad_id = wrong_check(ID_PLAIN)
    assert not id_card_valid(bad_id)
    assert Redactor().redact(f"身份证号：{bad_id}") == ("身份证号：[身份证]", {"id_card": 1})
    assert Redactor().redact(f"卡号 {CARD_BAD}") == ("卡号 [银行卡]", {"bank_card": 1})
    # without such words the same shapes are an order number or an amount, and stay
    assert Redactor().redact(f"订单 {CARD_BAD}")[1] == {}
