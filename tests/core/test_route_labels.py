"""Matchers are checked against the labels alerts carry; ``yujing route test`` shows routing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from yujing.config import ConfigError, load_config

CONFIG = """
products:
  - {id: anxin-e, name: 安心e生}
categories:
  - {id: claims, name: 理赔难, keywords: [拒赔]}
notify:
  receivers:
    - {name: log, type: log}
    - {name: pr, type: file, path: pr.jsonl}
    - {name: risk, type: file, path: risk.jsonl}
  route:
    receiver: log
    routes:
      - receiver: pr
        matchers: [%s]
        continue: true
      - receiver: risk
        matchers: ["product=anxin-e", "severity!~blue|yellow"]
"""


def write(tmp_path: Path, matchers: str) -> Path:
    path = tmp_path / "yujing.yaml"
    path.write_text(textwrap.dedent(CONFIG % matchers), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("matcher", "message"),
    [
        ('"sevrity=red"', "unknown label 'sevrity'; did you mean 'severity'?"),
        ('"severity=~red|ornage"', "no severity is 'ornage'; did you mean 'orange'?"),
        ('"product=anxin"', "no product is 'anxin'; did you mean 'anxin-e'?"),
        ('"category!=claim"', "no category is 'claim'; did you mean 'claims'?"),
        ('"event=fired"', "no event is 'fired'; did you mean 'firing'?"),
        ('"product=~zhong.*"', "'zhong.*' matches no product (anxin-e)"),
    ],
)
def test_a_matcher_that_can_never_match_is_an_error(tmp_path, matcher, message) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, matcher))
    (problem,) = info.value.problems
    assert (
        problem
        == (
            f"{tmp_path / 'yujing.yaml'}:15: notify.route.routes[0].matchers[0]: "
            f"matcher {matcher.strip(chr(34))!r}: {message}"
        )
        or message in problem
    )
    assert message in problem and ":15: notify.route.routes[0].matchers[0]: " in problem


def test_double_equals_is_explained(tmp_path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, '"severity == red"'))
    assert "write one = (severity=red, not severity==red)" in info.value.problems[0]


@pytest.mark.parametrize(
    "matcher", ['"severity=~red|orange"', '"category=\\"\\""', '"product!~x.*"', '"kind=burst"']
)
def test_good_matchers_pass(tmp_path, matcher) -> None:
    assert load_config(write(tmp_path, matcher)).notify.route.routes[0].matchers


def route_test(config: Path, *labels: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yujing", "route", "test", "-c", str(config), *labels],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_route_test_prints_the_receivers(tmp_path) -> None:
    config = write(tmp_path, '"severity=~red|orange"')
    assert route_test(config, "severity=red", "product=anxin-e").stdout == "pr, risk\n"
    assert route_test(config, "severity=orange").stdout == "pr\n"
    assert route_test(config, "severity=blue", "product=anxin-e").stdout == "log\n"
    typo = route_test(config, "sevrity=red")
    assert typo.returncode == 0 and typo.stdout == "log\n"
    assert "warning: sevrity=red: unknown label 'sevrity'; did you mean 'severity'?" in typo.stderr
    product_typo = route_test(config, "severity=red", "product=anxin")
    assert "warning: product=anxin: no product is 'anxin'; did you mean 'anxin-e'?" in (
        product_typo.stderr
    )
    bad = route_test(config, "severity")
    assert bad.returncode == 2 and "give labels as name=value" in bad.stderr
    grouped = route_test(config, "--grouping", "severity=blue")
    assert grouped.stdout == (
        "log: group_by [product], group_wait 30s, group_interval 300s, repeat_interval 14400s\n"
    )
