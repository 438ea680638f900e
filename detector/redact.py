"""Personal data out of a post before it is stored, indexed or sent anywhere.

Complainants paste their ID-card, phone, bank-card and policy numbers into posts and hotline
transcripts. None of that helps to see a wave of complaints, and all of it would be a leak,
so each is replaced by a placeholder naming what was there.

Numbers are found by shape and then checked, so that an order number or an amount is not
taken for personal data: an ID card needs a real province, birth date and its ISO 7064
MOD 11-2 check character, a bank card its Luhn digit. A number is never cut out of a longer
run of digits, and neither is a policy number: the configured patterns (RE2, see
``yujing.patterns``) are matched only where the run of ASCII letters and digits they sit in
starts and ends, which is what ``(?<![0-9A-Z])…(?![0-9])`` said before RE2. Expects normalised text (``normalize``): full-width digits are plain by then.

Not only the text: a post's URL (``redact_url``) and its extra fields (``redact_value``: file
names, agent, tags) leave the collector too and are redacted the same way. A URL also loses what
the config put in it from the environment (``?token=${FEED_TOKEN}``): the value is written back
as its reference wherever a URL is stored or printed, so a token never reaches a log line, a
source's stored error or a post's stored URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from yujing.config import Config
from yujing.patterns import Pattern, compile_pattern

from .normalize import normalize

__all__ = ["Redactor", "PLACEHOLDERS", "id_card_valid", "luhn_valid", "redactor_for"]

PLACEHOLDERS: dict[str, str] = {
    "email": "[邮箱]",
    "policy": "[保单号]",
    "id_card": "[身份证]",
    "phone": "[手机号]",
    "bank_card": "[银行卡]",
}

# The local part starts only where its run starts, so a long run of letters is scanned once.
# 张三@example.com is an address too: up to three CJK characters right before the @ are taken
# as a name (a character of the word before may go with it, which errs on the safe side).
_EMAIL = re.compile(
    r"(?:(?=[A-Za-z0-9._%+-])(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+|[\u4e00-\u9fff]{1,3}(?=@))"
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

# The three kinds of personal number in one pass, none cut out of a longer run of digits:
# ID card: 18 characters grouped 6-8-4, 6-4-4-4 or not at all, the last one may be X;
# mobile: 1[3-9]x xxxx xxxx, optionally after +86 / 0086 / 86, groups split by a space, dash,
# dot or slash (139.1234.5678 and 139/1234/5678 are how some people write them);
# bank card: 13-19 digits, as one run or grouped the ways cards are printed (4-4-4-4[-3], 6-13).
# Where two shapes fit at the same place the earlier one is tried first. The leading
# lookahead is for speed: it lets the regex engine skip every position that is no digit.
_NUMBER = re.compile(
    r"(?=[+0-9])(?<![0-9])(?:"
    r"(?P<id_card>[0-9]{6}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{3}[0-9Xx])"
    r"|(?P<phone>(?:(?:\+|00)?86[ ./-]?)?1[3-9][0-9][ ./-]?[0-9]{4}[ ./-]?[0-9]{4})"
    r"|(?P<bank_card>[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?"
    r"|[0-9]{6}[ -][0-9]{7,13})"
    r")(?![0-9])"
)

# Every number above has at least 11 digits: text without such a run skips all three.
_LONG_NUMBER = re.compile(r"[0-9](?:[ ./-]?[0-9]){10}")
_SEPARATORS = re.compile(r"[ ./-]")

# A typo does not make a number less personal: when the words just before it say what it is,
# an ID or card number with a wrong check digit is redacted all the same.
_SAYS_ID = re.compile(r"(身份证|证件号|身份号码)[号码是为:：\s]*$")
_SAYS_CARD = re.compile(r"(卡号|银行卡|储蓄卡|信用卡|借记卡|账号|帐号)[号码是为:：\s]*$")
_CONTEXT = 12  # characters looked at before a number

# GB 11643-1999: province codes (the first two digits), weights and check characters.
_PROVINCES = frozenset(
    str(code)
    for code in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45)
    + (46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83)
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_card_valid(number: str, today: date | None = None) -> bool:
    """An 18-character resident ID number: province, a real past birth date, check character."""
    if len(number) != 18 or not number[:17].isdigit() or number[:2] not in _PROVINCES:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > (today or date.today()):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# A URL keeps its scheme and host; what follows is cut at its delimiters and each piece is
# decoded, redacted and, if anything was found, encoded again, so the link keeps its shape.
# A URL in a message is redacted as a URL: its pieces are decoded first (tel=%2B86+139...).
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"']+")
_URL_HEAD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")
# scheme://host[:port][/], no user or password: an address, not a credential.
_ORIGIN = re.compile(r"https?://[^/?#@\s]+/?", re.IGNORECASE)
_URL_DELIMITERS = re.compile(r"([/?#&=;])")
# Long ids are common in web links (a Weibo post is 16 digits, and one in ten of those passes
# Luhn), so in an http(s) URL a card-shaped number is a card only where the parameter's name
# says so. Other URLs are ours (transcript://source/file): their pieces are judged as text is.
_DIGIT_OR_AT = re.compile(r"[\d@＠]")  # \d is Unicode: full-width digits too
_CARD_KEY = re.compile(r"card|acct|account|bank|kahao|卡", re.IGNORECASE)


def _number_kind(match: re.Match[str], cards: str = "checked") -> str | None:
    """The kind of a number found; ``cards``: "checked" (Luhn or the words before say card),
    "said" (the caller knows it stands where a card is written), "none" (no cards here)."""
    kind = match.lastgroup
    number = match.group()
    if kind == "phone":
        return kind
    digits = _SEPARATORS.sub("", number)
    before = match.string[max(0, match.start() - _CONTEXT) : match.start()]
    if kind == "id_card":
        if id_card_valid(digits) or _SAYS_ID.search(before):
            return kind
        kind = "bank_card"  # an 18-digit number with a wrong check may still be a card
    if cards == "none":
        return None
    said = cards == "said" or _SAYS_CARD.search(before)
    if 13 <= len(digits) <= 19 and (said or luhn_valid(digits)):
        return "bank_card"
    return None


def _whole_token(match: Any, kind: str) -> str | None:
    """``kind`` when the match is a whole run of ASCII letters and digits, else None."""
    text, start, end = match.string, match.start(), match.end()
    if start > 0 and _in_token(text[start - 1]) and _in_token(text[start]):
        return None
    if end < len(text) and _in_token(text[end]) and _in_token(text[end - 1]):
        return None
    return kind


def _in_token(c: str) -> bool:
    return c.isascii() and c.isalnum()


class Redactor:
    """``redact(text)`` -> (text with placeholders, {kind: count}); kinds are the keys of
    ``PLACEHOLDERS``. Policy numbers are whatever the configured patterns match."""

    def __init__(self, policy_patterns: Iterable[str] = (), secrets: Mapping[str, str] = {}):
        self._policies: list[Pattern] = [compile_pattern(p) for p in policy_patterns]
        # (form of a value, its reference), longest first: a value is found as written and as
        # percent-encoded in a query. Values under 4 characters ("1", "on") are not secrets, nor
        # is a bare web origin (``${FORUM_BASE}`` = https://bbs.example.cn): it names a place, and
        # writing it back as its reference would leave every stored link unusable.
        forms = {
            (form, f"${{{name}}}")
            for name, value in secrets.items()
            if len(value) >= 4 and not _ORIGIN.fullmatch(value)
            for form in (value, quote(value, safe=""), quote_plus(value))
        }
        self._secrets = sorted(forms, key=lambda pair: -len(pair[0]))

    def redact_message(self, text: str) -> str:
        """A message (a log line, a source's error): its URLs as ``redact_url`` makes them, the
        rest as ``redact``."""
        if "://" in text:
            text = _URL_IN_TEXT.sub(lambda m: self.redact_url(m.group())[0], text)
        return self.redact(text)[0]

    def redact(self, text: str, *, cards: str = "checked") -> tuple[str, dict[str, int]]:
        """``cards`` is how card-shaped numbers are judged: "checked" (Luhn, or the words before
        say it is a card), "said" (it stands where a card is written), "none" (never a card)."""
        found: dict[str, int] = {}
        if not text:
            return text, found

        def replace(kind: str | None, match: re.Match[str]) -> str:
            if kind is None:
                return match.group()
            found[kind] = found.get(kind, 0) + 1
            return PLACEHOLDERS[kind]

        # Order matters: an e-mail may hold a phone number, and the configured policy shapes
        # are the most specific, so both go before the generic numbers.
        if "@" in text:
            text = _EMAIL.sub(lambda m: replace("email", m), text)
        for pattern in self._policies:
            text = pattern.sub(lambda m: replace(_whole_token(m, "policy"), m), text)
        if _LONG_NUMBER.search(text):
            text = _NUMBER.sub(lambda m: replace(_number_kind(m, cards), m), text)
        return text, found

    def redact_url(self, url: str) -> tuple[str, dict[str, int]]:
        """The URL with personal data out of its path, query and fragment, still a URL.

        Each piece between ``/ ? # & = ;`` is decoded first (``%31%33%39`` is a number too) and,
        when something was found, percent-encoded again with its placeholder; untouched
        pieces stay byte for byte as they were.
        """
        found: dict[str, int] = {}
        if not url:
            return url, found
        for form, reference in self._secrets:
            if form in url:
                url = url.replace(form, reference)
        # Most links hold nothing personal: the whole URL decoded at once finds whatever any of
        # its pieces would (and possibly more), so one look settles those.
        whole = unquote_plus(url) if "%" in url or "+" in url else url
        if not self.redact(_searchable(whole))[1]:
            return url, found
        head = _URL_HEAD.match(url)
        start = head.end() if head else 0
        web = url[:8].lower().startswith(("http://", "https://"))
        out = [url[:start]]
        in_query = False
        key = ""
        for piece in _URL_DELIMITERS.split(url[start:]):
            if piece in ("?", "#", "&", "=", ";", "/") and len(piece) == 1:
                in_query = in_query or piece == "?"
                out.append(piece)
                continue
            plain = _searchable(unquote_plus(piece) if in_query else unquote(piece))
            if not web:
                cards = "checked"
            else:
                cards = "said" if in_query and _CARD_KEY.search(key) else "none"
            redacted, kinds = self.redact(plain, cards=cards)
            key = plain
            if kinds:
                _add(found, kinds)
                piece = quote(redacted, safe="")
            out.append(piece)
        return "".join(out), found

    def redact_value(self, value: Any) -> tuple[Any, dict[str, int]]:
        """Strings anywhere inside ``value`` (a post's extras: dicts, lists) redacted."""
        found: dict[str, int] = {}

        def walk(v: Any) -> Any:
            if isinstance(v, str):
                if not self._policies and not _DIGIT_OR_AT.search(v):
                    return v  # no number, no address: nothing to look for
                # Normalised to be searched (full-width digits), but a value with nothing
                # personal in it is kept exactly as the collector wrote it.
                text, kinds = self.redact(_searchable(v))
                _add(found, kinds)
                return text if kinds else v
            if isinstance(v, dict):
                return {k: walk(item) for k, item in v.items()}
            if isinstance(v, list | tuple):
                return type(v)(walk(item) for item in v)
            return v

        return walk(value), found


def _searchable(text: str) -> str:
    # Plain ASCII has no full-width digit or invisible character to normalise away.
    return text if text.isascii() else normalize(text)


def _add(total: dict[str, int], kinds: dict[str, int]) -> None:
    for kind, n in kinds.items():
        total[kind] = total.get(kind, 0) + n


def redactor_for(config: Config) -> Redactor:
    """The redactor a config describes: its policy numbers, and its ${ENV} values for URLs."""
    return Redactor(config.privacy.policy_patterns, config.secrets)
