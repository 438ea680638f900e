"""The services around the daemon: Elasticsearch, the embedded store, privacy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from .base import Duration, HttpUrl, SecretStr, Strict

__all__ = ["Elasticsearch", "Kibana", "Storage", "Privacy", "PUBLIC_SALTS"]


class Elasticsearch(Strict):
    hosts: list[HttpUrl] = Field(min_length=1)  # http://host:9200, scheme included
    api_key: SecretStr("ES_API_KEY") | None = None
    username: str | None = None
    password: SecretStr("ES_PASSWORD") | None = None
    ca_certs: Path | None = None
    verify_certs: bool = True
    index_prefix: str = Field(default="yujing", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    request_timeout: Duration = 10.0
    # How long posts stay searchable (180d, 26w). Unset: kept until deleted by hand. Posts go
    # into one index per month, deleted a month's index at a time by an ILM policy, so a post
    # stays at least this long and at most a month longer.
    retention: Duration | None = None


_SPACE = r"^[a-z0-9_-]+$"  # Kibana's own rule for space ids


class Kibana(Strict):
    """Where analysts read the indices: alerts link to its Discover; ``yujing kibana import``
    loads the shipped dashboard into it."""

    url: HttpUrl  # http://kibana:5601, with its base path if it has one
    api_key: SecretStr("KIBANA_API_KEY") | None = None
    username: str | None = None
    password: SecretStr("KIBANA_PASSWORD") | None = None
    space: str | None = Field(default=None, pattern=_SPACE)  # None: the default space
    ca_certs: Path | None = None
    verify_certs: bool = True
    request_timeout: Duration = 30.0


class Storage(Strict):
    path: Path = Path("var/yujing.db")


def _policy_pattern(value: str) -> str:
    # Compiled here so a broken pattern is reported with its file and line at load time.
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    if compiled.search("") is not None:
        raise ValueError(f"pattern {value!r} matches empty text and would redact everywhere")
    return value


PolicyPattern = Annotated[str, AfterValidator(_policy_pattern)]


# Salts that ship in the code or the shipped configs: anyone can hash every phone number with
# them, so the daemon warns loudly until YUJING_SALT is set.
PUBLIC_SALTS = frozenset({"yujing-default-salt", "change-me-to-a-long-random-string"})


class Privacy(Strict):
    # Salt for hashing complainants' names. Keep it stable: changing it splits every complainant in two.
    salt: str = Field(default="yujing-default-salt", min_length=8)

    @property
    def salt_is_public(self) -> bool:
        return self.salt in PUBLIC_SALTS

    # Regexes for the insurer's policy numbers, redacted as [保单号] before anything is stored.
    policy_patterns: list[PolicyPattern] = []
