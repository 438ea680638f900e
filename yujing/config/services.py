"""The services around the daemon: Elasticsearch, the embedded store, privacy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from ..patterns import compile_pattern
from .base import Duration, HttpUrl, SecretStr, Strict

__all__ = [
    "Elasticsearch",
    "Kibana",
    "Storage",
    "Privacy",
    "PUBLIC_SALTS",
    "Http",
    "HttpPush",
    "Logging",
    "listen_address",
]


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


def _redis_url(value: str) -> str:
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"{value!r} is not a Redis URL: write redis://host:6379/0")
    return value


class Redis(Strict):
    """The Redis that daemons on several machines share crawls through: sources with
    ``shared: true`` keep their request queue and the pages already asked for there."""

    url: Annotated[str, AfterValidator(_redis_url)]  # ${REDIS_URL} when it holds a password
    key_prefix: str = Field(default="yujing", pattern=r"^[A-Za-z0-9_.-]+$")


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


MIN_RETENTION = 86400.0


def _retention(value: float | None) -> float | None:
    # A unit forgotten ("retention: 180" is three minutes) would empty the store.
    if value is not None and value < MIN_RETENTION:
        raise ValueError("retention must be at least 1d (write it with a unit, like 180d)")
    return value


class Storage(Strict):
    path: Path = Path("var/yujing.db")
    # Posts published longer ago than this are deleted from the store (with their old crawl
    # runs and delivered messages); none: kept for ever.
    retention: Annotated[Duration | None, AfterValidator(_retention)] = None


def listen_address(value: str) -> tuple[str, int]:
    """``127.0.0.1:9414`` or ``[::1]:9414`` -> (host, port); port 0 takes a free one."""
    host, sep, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected host:port, like 127.0.0.1:9414, got {value!r}")
    return host, int(port)


class HttpPush(Strict):
    """``POST /ingest``: a call-centre system pushes transcripts instead of dropping files.

    The posts are stored under ``source`` (a transcripts source: its columns, roles and limits
    apply) and counted as its runs. ``token`` is the bearer token every request must carry.
    """

    source: str
    # Long enough not to be guessed: the endpoint may listen beyond the loopback.
    token: SecretStr("HOTLINE_PUSH_TOKEN") = Field(min_length=16)
    # A larger body is refused (413) unread; send more in several requests.
    max_body_mb: float = Field(default=8, gt=0, le=256)


class Http(Strict):
    """The daemon's HTTP server: /metrics (Prometheus), /healthz, /readyz, and POST /ingest."""

    # On the loopback interface only by default: other machines reach it only when an
    # address is given here (0.0.0.0:9414 for a container). null turns the server off.
    listen: str | None = "127.0.0.1:9414"
    # /readyz answers 503 while a source has been failing (runs bringing nothing but
    # errors) for longer than this.
    source_failing: Duration = 3600.0
    # POST /ingest, off unless set.
    push: HttpPush | None = None

    @field_validator("listen", mode="before")
    @classmethod
    def _listen(cls, value: object) -> object:
        if value is False:  # `listen: off` (YAML reads off as false)
            return None
        if isinstance(value, str):
            listen_address(value)
        return value

    @property
    def address(self) -> tuple[str, int] | None:
        return listen_address(self.listen) if self.listen else None


class Logging(Strict):
    # text: one readable line per event; json: one JSON object per line, for log collectors.
    format: Literal["text", "json"] = "text"


def _policy_pattern(value: str) -> str:
    # Compiled here so a broken pattern is reported with its file and line at load time.
    compiled = compile_pattern(value)
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
