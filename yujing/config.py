"""The configuration: YAML files validated by pydantic models.

Unknown keys are errors, so a typo never passes silently. Every error names the file, the line
and the field, and says what was expected. ``include:`` pulls top-level sections from other files.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .matchers import parse_matcher
from .yamlsrc import Located, SourceMap, YamlError, dotted, load_yaml

__all__ = [
    "Config",
    "ConfigError",
    "ForumSource",
    "FeedSource",
    "TranscriptSource",
    "Product",
    "Category",
    "Privacy",
    "BurstRule",
    "BurstOverride",
    "Detection",
    "Notify",
    "Route",
    "load_config",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any) -> float:
    """``30`` or ``"30s"``, ``"5m"``, ``"2h"``, ``"7d"`` -> seconds."""
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
    if seconds <= 0:
        raise ValueError("a duration must be greater than zero")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- sources


class SourceBase(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    interval: Duration = 300.0
    enabled: bool = True


class ListSelectors(Strict):
    """Where the list page keeps its links to posts (CSS, or XPath when it starts with / or ()."""

    link: str
    next: str | None = None


class DetailSelectors(Strict):
    title: str
    text: str
    author: str | None = None
    published: str | None = None
    views: str | None = None
    comments: str | None = None
    reposts: str | None = None


def http_url(value: str) -> str:
    """An absolute http(s) URL, or a ValueError saying what is wrong."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL with a host, got {value!r}")
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise ValueError(f"invalid port in {value!r}") from None
    return value


HttpUrl = Annotated[str, AfterValidator(http_url)]


class HttpSourceBase(SourceBase):
    url: HttpUrl
    # Seconds between requests to the site (AutoThrottle adapts it); be polite to public sites.
    delay: float = Field(default=1.0, ge=0)


class ForumSource(HttpSourceBase):
    type: Literal["forum"]
    list: ListSelectors
    detail: DetailSelectors
    max_pages: int = Field(default=3, ge=1)
    encoding: str | None = None  # for sites that lie about their charset

    @model_validator(mode="after")
    def _selectors_compile(self) -> ForumSource:
        # A selector typo fails here, at check-config, not at the first crawl.
        from crawlers.extract import selector_problems

        selectors = {
            **{f"list.{k}": v for k, v in self.list.model_dump().items()},
            **{f"detail.{k}": v for k, v in self.detail.model_dump().items()},
        }
        problems = selector_problems(selectors)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class FeedSource(HttpSourceBase):
    type: Literal["feed"]


class TranscriptSource(SourceBase):
    type: Literal["transcripts"]
    path: Path
    interval: Duration = 10.0


Source = Annotated[ForumSource | FeedSource | TranscriptSource, Field(discriminator="type")]


# ---------------------------------------------------------------- products and detection


class Product(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str
    aliases: list[str] = []
    # Short forms people type (安心e生 -> "e生"); matched exactly like aliases.
    abbreviations: list[str] = []
    # The company alone never tags the product (a company sells many products). Its name only
    # settles an alias shared across companies and keeps aliases from firing inside it.
    company: str | None = None

    def terms(self) -> list[str]:
        return [self.name, *self.aliases, *self.abbreviations]


def _fold(text: str) -> str:
    # The detector matches NFKC-normalised, casefolded text; validate terms the same way.
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _term(value: str) -> str:
    if not _fold(value):
        raise ValueError("a term must not be blank")
    return value


Term = Annotated[str, AfterValidator(_term)]


class Category(Strict):
    """A complaint category: a post is tagged when it uses one of the keywords, unless the
    keyword is negated (see config/categories.yaml for how)."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1)
    keywords: list[Term] = Field(min_length=1)
    negations: list[Term] = []

    @field_validator("negations")
    @classmethod
    def _negations_can_cancel(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # A negation cancels a keyword hit inside its own span; one containing no keyword
        # could never cancel anything, which is a mistake worth reporting.
        keywords = [_fold(k) for k in info.data.get("keywords") or ()]
        for phrase in value:
            if keywords and not any(k in _fold(phrase) for k in keywords):
                raise ValueError(
                    f"negation {phrase!r} contains none of the keywords, so it never cancels a hit"
                )
        return value


def _unique_ids(value: list[Category]) -> list[Category]:
    ids = [c.id for c in value]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"category ids must be unique; repeated: {', '.join(dupes)}")
    return value


Categories = Annotated[list[Category], AfterValidator(_unique_ids)]


class BurstRule(Strict):
    """When a series (a product, or a product in one complaint category) is in a burst.

    Posts are counted in ``bucket``-long buckets. The last ``window`` of buckets is compared with
    what the series' own learned baseline (level, hour of day, weekday; remembered with a
    half-life of ``baseline``) expects there. It is a burst when the count is at least
    ``min_count``, at least ``ratio`` times the expected, and a count that high would happen by
    chance with probability below ``p_value`` (negative-binomial tail). A series with less than
    ``cold_start`` of history has no trusted baseline yet and needs ``min_count`` posts against a
    floor of half a post per window.
    """

    window: Duration = 3600.0
    baseline: Duration = 7 * 86400.0
    min_count: int = Field(default=5, ge=1)
    ratio: float = Field(default=1.5, gt=1.0)
    bucket: Duration = 600.0
    p_value: float = Field(default=1e-6, gt=0.0, lt=0.5)
    cold_start: Duration = 3 * 86400.0

    @model_validator(mode="after")
    def _bucket_fits(self) -> BurstRule:
        if self.bucket > self.window:
            raise ValueError("bucket must not be longer than window")
        return self


class BurstOverride(Strict):
    window: Duration | None = None
    baseline: Duration | None = None
    min_count: int | None = Field(default=None, ge=1)
    ratio: float | None = Field(default=None, gt=1.0)
    bucket: Duration | None = None
    p_value: float | None = Field(default=None, gt=0.0, lt=0.5)
    cold_start: Duration | None = None


class Detection(Strict):
    evaluate_every: Duration = 60.0
    burst: BurstRule = BurstRule()
    products: dict[str, BurstOverride] = {}

    @model_validator(mode="after")
    def _overrides_fit(self) -> Detection:
        for product in self.products:
            try:
                self.rule_for(product)
            except ValidationError as exc:
                raise ValueError(
                    f"products.{product}: "
                    + "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
                ) from None
        return self

    def rule_for(self, product: str) -> BurstRule:
        override = self.products.get(product)
        if override is None:
            return self.burst
        # Validated again, so an override cannot make bucket longer than window.
        return BurstRule.model_validate(
            self.burst.model_dump() | override.model_dump(exclude_none=True)
        )


# ---------------------------------------------------------------- notification


class LogReceiver(Strict):
    name: str
    type: Literal["log"]


class FileReceiver(Strict):
    name: str
    type: Literal["file"]
    path: Path


class SlackReceiver(Strict):
    name: str
    type: Literal["slack"]
    token: str = Field(min_length=1)
    channel: str
    base_url: str | None = None  # only to point at a test server


class ElasticsearchReceiver(Strict):
    """Writes alerts to the alerts index of the cluster configured under ``elasticsearch``."""

    name: str
    type: Literal["elasticsearch"]


Receiver = Annotated[
    LogReceiver | FileReceiver | SlackReceiver | ElasticsearchReceiver,
    Field(discriminator="type"),
]


class Route(Strict):
    receiver: str | None = None
    matchers: list[str] = []  # label=value, label!=value, label=~regex
    continue_: bool = Field(default=False, alias="continue")
    routes: list[Route] = []

    @field_validator("matchers")
    @classmethod
    def _matchers_parse(cls, value: list[str]) -> list[str]:
        for m in value:
            parse_matcher(m)  # the grammar the notifier routes with; raises ValueError
        return value


class Notify(Strict):
    receivers: list[Receiver] = [LogReceiver(name="log", type="log")]
    route: Route = Route(receiver="log")
    retry_max: Duration = 3600.0

    @model_validator(mode="after")
    def _receivers_exist(self) -> Notify:
        names = [r.name for r in self.receivers]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"receiver names must be unique; repeated: {', '.join(sorted(dupes))}")

        def walk(route: Route) -> None:
            if route.receiver is not None and route.receiver not in names:
                raise ValueError(
                    f"route names receiver {route.receiver!r}, which is not defined "
                    f"(defined: {', '.join(names) or 'none'})"
                )
            for child in route.routes:
                walk(child)

        walk(self.route)
        return self


class Elasticsearch(Strict):
    hosts: list[HttpUrl] = Field(min_length=1)  # http://host:9200, scheme included
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: Path | None = None
    verify_certs: bool = True
    index_prefix: str = Field(default="yujing", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    request_timeout: Duration = 10.0


# ---------------------------------------------------------------- the whole


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


class Config(Strict):
    include: list[str] = []
    timezone: str = "Asia/Shanghai"
    storage: Storage = Storage()
    privacy: Privacy = Privacy()
    alerts_file: Path | None = Path("var/alerts.jsonl")
    sources: list[Source] = []
    products: list[Product] = []
    categories: Categories = []
    detection: Detection = Detection()
    notify: Notify = Notify()
    elasticsearch: Elasticsearch | None = None

    @field_validator("timezone")
    @classmethod
    def _tz_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like Asia/Shanghai"
            ) from None
        return value

    @field_validator("sources", "products")
    @classmethod
    def _unique(cls, value: list[Any]) -> list[Any]:
        names = [
            getattr(item, "name", None) if hasattr(item, "type") else item.id for item in value
        ]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"names must be unique; repeated: {', '.join(dupes)}")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        known = {p.id for p in self.products}
        unknown = sorted(set(self.detection.products) - known)
        if unknown:
            raise ValueError(f"detection.products names unknown products: {', '.join(unknown)}")
        if (
            any(r.type == "elasticsearch" for r in self.notify.receivers)
            and self.elasticsearch is None
        ):
            raise ValueError("an elasticsearch receiver needs the top-level elasticsearch: section")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# ---------------------------------------------------------------- loading and errors


class ConfigError(Exception):
    """The configuration cannot be used. ``problems`` lists each as 'file:line: field: message'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _all_field_names(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
        for arg in _types_in(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _all_field_names(arg, seen)
    return names


def _types_in(annotation: Any) -> list[Any]:
    out = [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        out.extend(_types_in(arg))
    for meta in getattr(annotation, "__metadata__", ()) or ():
        out.extend(_types_in(meta))
    return out


_UNION_TAGS = {"forum", "feed", "transcripts", "log", "file", "slack", "elasticsearch"}


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the parts of a pydantic location that are not in the data (union tags, validators)."""
    path: list[Any] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and not isinstance(part, int) and part not in _UNION_TAGS:
            # A missing key: keep its name so the message says which field is absent.
            path.append(part)
            node = None
    return tuple(path)


def _explain(err: dict[str, Any], field: str) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        key = field.rsplit(".", 1)[-1]
        guess = difflib.get_close_matches(key, sorted(_all_field_names(Config)), n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return f"unknown key {key!r}{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        ctx = err["ctx"]
        return f"unknown type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "missing 'type:' (which kind of entry is this?)"
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


def format_validation(exc: ValidationError, data: Any, smap: SourceMap, file: Path) -> list[str]:
    found: list[tuple[Located, str]] = []
    for err in exc.errors():
        path = _data_path(data, tuple(err["loc"]))
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, "type")  # the problem is the entry's type: key, point there
        where = smap.find(path) or Located(file, 1)
        field = dotted(path)
        found.append((where, f"{where}: {field}: {_explain(err, field)}"))
    # In reading order, file by file, as an editor lists them.
    found.sort(key=lambda item: (str(item[0].file) != str(file), str(item[0].file), item[0].line))
    return [text for _, text in found]


def load_config(path: str | Path) -> Config:
    """Load and validate a config file (and what it includes). Raises ConfigError."""
    path = Path(path)
    try:
        data, smap = load_yaml(path)
    except YamlError as exc:
        raise ConfigError([str(exc)]) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{path}:1: the file must be a mapping of sections (storage:, sources:, ...)"]
        )
    includes = data.get("include") or []
    if not isinstance(includes, list):
        raise ConfigError([f"{smap.find(('include',))}: include: expected a list of file names"])
    for i, name in enumerate(includes):
        sub = path.parent / str(name)
        try:
            sub_data, sub_map = load_yaml(sub)
        except YamlError as exc:
            raise ConfigError([f"{smap.find(('include', i))}: include[{i}]: {exc}"]) from None
        if not isinstance(sub_data, dict):
            raise ConfigError([f"{sub}:1: an included file must be a mapping of sections"])
        for key, value in sub_data.items():
            if key in data:
                raise ConfigError(
                    [f"{sub_map.find((key,))}: {key}: section already set in {smap.find((key,))}"]
                )
            data[key] = value
        smap.update({k: v for k, v in sub_map.items() if k})
        smap.from_env |= sub_map.from_env
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation(exc, data, smap, path)) from None
    problems = _secrets_written_in_files(config, smap, path)
    if problems:
        raise ConfigError(problems)
    return config


def _secrets_written_in_files(config: Config, smap: SourceMap, file: Path) -> list[str]:
    """Secrets must come from the environment: a file is copied, committed and shared."""
    secrets: list[tuple[tuple[Any, ...], str]] = [
        (("notify", "receivers", i, "token"), "SLACK_BOT_TOKEN")
        for i, r in enumerate(config.notify.receivers)
        if isinstance(r, SlackReceiver)
    ]
    if config.elasticsearch is not None:
        secrets += [(("elasticsearch", "api_key"), "ES_API_KEY")]
        secrets += [(("elasticsearch", "password"), "ES_PASSWORD")]
    problems = []
    for path, example in secrets:
        if path in smap and path not in smap.from_env:
            problems.append(
                f"{smap.find(path) or file}: {dotted(path)}: a secret written in the file; "
                f"write ${{{example}}} instead and set it in the environment"
            )
    return problems
