"""Every regex from the config runs on RE2: the classic catastrophic patterns take microseconds on
a post that would take Python's backtracking engine years, and what RE2 cannot do is refused by
check-config with file, line and a way out."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from yujing.config import ConfigError, load_config
from yujing.detector.redact import Redactor
from yujing.matchers import parse_matcher
from yujing.patterns import Pattern, compile_pattern

# Each backtracks exponentially in Python's re on a run of a's with a non-matching end.
CATASTROPHIC = [
    r"(a+)+$",
    r"(a|aa)+$",
    r"(a|a?)+$",
    r"(.*a){20}$",
    r"([a-zA-Z]+)*$",
    r"(\w+\s?)*$",
    r"(a*)*b",
]
POST = "a" * 28 + "!"  # a post-sized text: 2**28 paths for (a+)+$ under backtracking
LONG = "a" * 100_000 + "!"


def timed(call, *args):
    t0 = time.perf_counter()
    call(*args)
    return time.perf_counter() - t0


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_policy_pattern_cannot_stall_the_redactor(pattern: str) -> None:
    redactor = Redactor([pattern])
    assert timed(redactor.redact, POST) < 0.1
    assert timed(redactor.redact, LONG) < 1.0


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_route_matcher_cannot_stall_routing(pattern: str) -> None:
    matcher = parse_matcher(f"product=~{pattern}")
    assert isinstance(matcher.regex, Pattern)
    assert timed(matcher.matches, {"product": POST}) < 0.1


def test_config_patterns_of_crawlers_are_re2(tmp_path: Path) -> None:
    path = tmp_path / "yujing.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            sources:
              - name: site
                type: sitemap
                url: https://www.example.com/sitemap.xml
                follow: "(a+)+$"
                detail: {title: "h1::text", text: "div.body", re: {title: "(\\\\w+\\\\s?)*$"}}
            """
        ),
        encoding="utf-8",
    )
    source = load_config(path).sources[0]
    for value in (source.follow, source.detail.re["title"]):
        assert isinstance(compile_pattern(value), Pattern)
        assert timed(compile_pattern(value).search, LONG) < 1.0


def test_what_re2_cannot_do_is_refused_with_file_line_and_a_way_out(tmp_path: Path) -> None:
    path = tmp_path / "yujing.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            privacy:
              salt: a-long-enough-salt
              policy_patterns:
                - '(?<![0-9A-Z])P[0-9]{15}(?![0-9])'
                - '(P)\\1'
            notify:
              receivers: [{name: log, type: log}]
              route:
                receiver: log
                routes:
                  - matchers: ["product=~(?!anxin).*"]
                    receiver: log
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    found = info.value.problems
    assert found[0].startswith(f"{path}:4: privacy.policy_patterns[0]: invalid regular expression")
    assert "lookbehinds are not supported" in found[0] and "whole run" in found[0]
    assert found[1].startswith(f"{path}:5: privacy.policy_patterns[1]: invalid regular expression")
    assert "backreferences are not supported" in found[1]
    assert any(
        p.startswith(f"{path}:11: notify.route.routes[0].matchers") and "lookaheads" in p
        for p in found
    ), found
