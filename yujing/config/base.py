"""What every config model shares: strictness, durations, URLs, terms and secret fields."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

__all__ = [
    "Strict",
    "Duration",
    "TimeZone",
    "Wait",
    "HttpUrl",
    "Term",
    "Secret",
    "SecretStr",
    "parse_duration",
    "http_url",
    "fold",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any, *, zero: bool = False) -> float:
    """``30`` or ``"30s"``, ``"5m"``, ``"2h"``, ``"7d"`` -> seconds; ``zero``: 0 is allowed."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 30s, 5m, 2h or 7d")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(
                f"invalid duration {value!r}: expected a number of seconds or 30s, 5m, 2h, 7d"
            )
        seconds = float(m.group(1)) * _UNIT[m.group(2)]
    if not math.isfinite(seconds):
        raise ValueError("a duration must be a finite number, like 30s, 5m, 2h or 7d")
    if seconds < 0 or (seconds == 0 and not zero):
        raise ValueError(
            "a duration must not be negative" if zero else "a duration must be greater than zero"
        )
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name like Asia/Shanghai"
        ) from None
    return value


TimeZone = Annotated[str, AfterValidator(_time_zone)]
# A wait that may be nothing at all (group_wait: 0s sends a group's first notification at once).
Wait = Annotated[float, BeforeValidator(lambda v: parse_duration(v, zero=True))]


class Strict(BaseModel):
    # .nan and .inf are valid YAML floats, and no setting means them: refused everywhere.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def __repr_args__(self) -> Any:
        # A config printed in a log or a traceback shows that a secret is set, never its value.
        hidden = _secret_names(type(self))
        for name, value in super().__repr_args__():
            yield name, ("********" if name in hidden and value is not None else value)


def _marked(annotation: Any) -> bool:
    if isinstance(annotation, Secret):
        return True
    parts = (*(getattr(annotation, "__args__", ()) or ()), *getattr(annotation, "__metadata__", ()))
    return any(_marked(part) for part in parts)


def _secret_names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if any(isinstance(m, Secret) for m in info.metadata) or _marked(info.annotation)
    )


def http_url(value: str) -> str:
    """An absolute http(s) URL, or a ValueError saying what is wrong."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL with a host, got {value!r}")
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise ValueError(f"invalid port in {value!r}") from None
    if parts.username is not None or parts.password is not None:
        # Not echoed: the point is that the password must not be printed anywhere.
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        raise ValueError(
            f"a user name or password in the URL ({parts.scheme}://…@{host}) is never sent and "
            "would be shown wherever the URL is; write credentials in their own fields "
            "(Elasticsearch: username and password or api_key; a webhook: secret, or headers for "
            "a source), from ${ENV} variables"
        )
    return value


HttpUrl = Annotated[str, AfterValidator(http_url)]


def fold(text: str) -> str:
    # The detector matches NFKC-normalised, casefolded text; validate terms the same way.
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _term(value: str) -> str:
    if not fold(value):
        raise ValueError("a term must not be blank")
    return value


Term = Annotated[str, AfterValidator(_term)]


@dataclass(frozen=True, slots=True)
class Secret:
    """Marks a field that must come from the environment, never be written in a file.

    ``env`` is the variable the error message suggests (``${SLACK_BOT_TOKEN}``). The loader finds
    these fields by this mark, so a new receiver's token is checked without editing the loader.
    """

    env: str


def SecretStr(env: str) -> Any:  # noqa: N802 (reads as a type in annotations)
    return Annotated[str, Secret(env)]
