"""Hostile configs, generated: whatever the file holds, loading it gives a Config or a
ConfigError whose every line names the file and line; never a traceback."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yujing.config import Config, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = yaml.safe_load((ROOT / "config" / "yujing.yaml").read_text(encoding="utf-8"))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WHERE = re.compile(r"^\S.*:\d+: ")  # "FILE:LINE: ..." as every message starts

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["1h", "0s", "-5m", "1e400s", "nan", "10m", "${NO_SUCH_VAR}", "~", ".inf"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


PATHS = [p for p in paths(SHIPPED) if p and p[0] != "include"]


def replaced(tree: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    if isinstance(tree, dict):
        return {k: (replaced(v, path[1:], value) if k == path[0] else v) for k, v in tree.items()}
    return [replaced(v, path[1:], value) if i == path[0] else v for i, v in enumerate(tree)]


def check(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "yujing.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            config = load_config(path)
        except ConfigError as exc:
            lines = str(exc).strip().splitlines()
            assert lines, "a ConfigError must say what is wrong"
            assert any(WHERE.match(line.strip()) for line in lines), str(exc)
        else:
            assert isinstance(config, Config)


@SETTINGS
@given(st.sampled_from(PATHS), values)
def test_any_value_anywhere_in_the_shipped_config(path: tuple, value: Any) -> None:
    tree = replaced(SHIPPED, path, value)
    tree["include"] = [str(ROOT / "config" / name) for name in SHIPPED.get("include", [])]
    check(yaml.safe_dump(tree, allow_unicode=True))


@SETTINGS
@given(values)
def test_any_yaml_document(tree: Any) -> None:
    check(yaml.safe_dump(tree, allow_unicode=True))


@SETTINGS
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    check(text)


# Regex-shaped text: the pieces patterns are made of, nested quantifiers included.
regex_text = st.lists(
    st.sampled_from(
        ["a", "(", ")", "+", "*", "?", "|", "[", "]", "{2,}", "\\", ".", "$", "^", "(?<!x)",
        "(?=", "\\1", "P", "[0-9]", "{15}", "\\d", "(?P<n>", "乐", "\\p{Han}"]
    ),
    max_size=14,
).map("".join)  # fmt: skip

PATTERN_FIELDS = {
    "policy": "privacy: {{salt: a-long-enough-salt, policy_patterns: [{p}]}}\n",
    "matcher": (
        "notify:\n  receivers: [{{name: log, type: log}}]\n"
        "  route: {{receiver: log, routes: [{{matchers: [{m}], receiver: log}}]}}\n"
    ),
    "follow": (
        "sources:\n  - {{name: s, type: sitemap, url: 'https://www.example.com/sitemap.xml', "
        "follow: {p}, detail: {{title: h1, text: div}}}}\n"
    ),
    "detail.re": (
        "sources:\n  - {{name: s, type: sitemap, url: 'https://www.example.com/sitemap.xml', "
        "detail: {{title: h1, text: div, re: {{title: {p}}}}}}}\n"
    ),
}
HOSTILE_TEXT = "a" * 5000 + "!" + "P" + "1" * 40 + "乐" * 100


@SETTINGS
@given(st.sampled_from(sorted(PATTERN_FIELDS)), regex_text)
def test_any_pattern_in_any_pattern_field(field: str, pattern: str) -> None:
    """Loads or is refused with file and line; a pattern that loads runs on RE2 (linear time)."""
    from yujing.detector.redact import Redactor
    from yujing.matchers import parse_matcher
    from yujing.patterns import compile_pattern

    quoted = yaml.safe_dump(pattern, allow_unicode=True).strip().removesuffix("...").strip()
    matcher = yaml.safe_dump(f"product=~{pattern}", allow_unicode=True).strip()
    text = PATTERN_FIELDS[field].format(p=quoted, m=matcher.removesuffix("...").strip())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "yujing.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path)
        except ConfigError as exc:
            assert all(WHERE.match(line.strip()) for line in str(exc).strip().splitlines())
            return
    if field == "policy":
        Redactor([pattern]).redact(HOSTILE_TEXT)
    elif field == "matcher":
        parse_matcher(f"product=~{pattern}").matches({"product": HOSTILE_TEXT})
    else:
        compile_pattern(pattern).search(HOSTILE_TEXT)
