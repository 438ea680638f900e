"""Config loading: every error names file, line and field; unknown keys never pass."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from yujing.config import ConfigError, load_config, parse_duration

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "yujing.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


@pytest.mark.parametrize("name", ["yujing.yaml", "demo.yaml", "docker.yaml"])
def test_shipped_configs_are_valid(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    config = load_config(ROOT / "config" / name)
    assert config.products, "every shipped config watches some products"
    assert config.timezone == "Asia/Shanghai"


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        sources:
          - name: hotline
            type: transcripts
            path: inbox
            intervall: 10s
        """,
    )
    assert problems(path) == [
        f"{path}:5: sources[0].intervall: unknown key 'intervall'; did you mean 'interval'?"
    ]


def test_bad_value_missing_field_and_unknown_type(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        sources:
          - name: forum
            type: forum
            url: http://127.0.0.1/list
            interval: soon
            list: {link: "a::attr(href)"}
          - name: f2
            type: rss
        """,
    )
    assert problems(path) == [  # in the order of the lines
        f"{path}:2: sources[0].detail: required field is missing",
        f"{path}:5: sources[0].interval: invalid duration 'soon': "
        "expected a number of seconds or 30s, 5m, 2h, 7d",
        f"{path}:8: sources[1].type: unknown type 'rss'; "
        "expected one of 'forum', 'feed', 'api', 'sitemap', 'transcripts'",
    ]


def test_route_to_undefined_receiver(tmp_path: Path) -> None:
    path = write(tmp_path, "notify:\n  route:\n    receiver: slack\n")
    [problem] = problems(path)
    assert problem == (
        f"{path}:3: notify.route.receiver: receiver 'slack' is not defined "
        "(defined under notify.receivers: log)"
    )


def test_a_child_routes_mistyped_receiver_is_named_at_its_line(tmp_path: Path) -> None:
    text = (
        "notify:\n"
        "  receivers: [{name: log, type: log}, {name: pr-team, type: log}]\n"
        "  route:\n"
        "    receiver: log\n"
        "    routes:\n"
        "      - matchers: [severity=red]\n"
        "        receiver: pr-taem\n"
    )
    [problem] = problems(write(tmp_path, text))
    assert problem.endswith(
        ":7: notify.route.routes[0].receiver: receiver 'pr-taem' is not defined; "
        "did you mean 'pr-team'? (defined under notify.receivers: log, pr-team)"
    )


def test_inhibit_rules_are_checked_with_the_matcher_grammar(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        notify:
          inhibit_rules:
            - source_matchers: ["kind=burst"]
              target_matchers: ["kind=burst", "category=~(理赔"]
              equal: [product]
            - source_matchers: ["severity>red"]
              equal: ["product-id"]
        """,
    )
    found = problems(path)
    starts = (
        f"{path}:4: notify.inhibit_rules[0].target_matchers: matcher 'category=~(理赔': "
        "invalid regular expression",
        f"{path}:6: notify.inhibit_rules[1].source_matchers: matcher 'severity>red' should look "
        "like severity=red",
        f"{path}:7: notify.inhibit_rules[1].equal: not label names: 'product-id'",
    )
    assert len(found) == len(starts), found
    for start in starts:
        assert any(p.startswith(start) for p in found), (start, found)


def test_shipped_inhibit_rule_is_the_default(tmp_path: Path) -> None:
    rules = load_config(write(tmp_path, "notify: {}\n")).notify.inhibit_rules
    assert [r.model_dump() for r in rules] == [
        {
            "source_matchers": ["kind=burst", 'category=""'],
            "target_matchers": ["kind=burst", "category=~.+"],
            "equal": ["product"],
        }
    ]
    assert load_config(ROOT / "config" / "yujing.yaml").notify.inhibit_rules == rules
    assert load_config(write(tmp_path, "notify: {inhibit_rules: []}\n")).notify.inhibit_rules == []


def test_secret_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = """\
    notify:
      receivers:
        - name: s
          type: slack
          token: ${YUJING_TEST_TOKEN}
          channel: "#a"
      route: {receiver: s}
    """
    path = write(tmp_path, text)
    monkeypatch.delenv("YUJING_TEST_TOKEN", raising=False)
    assert problems(path) == [
        f"{path}:5: notify.receivers[0].token: environment variable YUJING_TEST_TOKEN is not set "
        "(export it, or write ${YUJING_TEST_TOKEN:-default} to give a default)"
    ]
    monkeypatch.setenv("YUJING_TEST_TOKEN", "xoxb-1")
    assert load_config(path).notify.receivers[0].token == "xoxb-1"


def test_include_merges_sections_and_reports_included_file_lines(tmp_path: Path) -> None:
    write(tmp_path, "products:\n  - id: a\n    name: 甲产品\n    alias: [x]\n", "products.yaml")
    path = write(tmp_path, "include: [products.yaml]\ntimezone: Asia/Shanghai\n")
    [problem] = problems(path)
    assert problem.startswith(
        f"{tmp_path / 'products.yaml'}:4: products[0].alias: unknown key 'alias'"
    )


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "timezone: [\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:2: invalid YAML:")
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_duplicate_names_and_unknown_timezone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        timezone: Mars/Olympus
        products:
          - {id: a, name: 甲}
          - {id: a, name: 乙}
        """,
    )
    found = problems(path)
    assert (
        f"{path}:1: timezone: unknown time zone 'Mars/Olympus'; use an IANA name like Asia/Shanghai"
        in found
    )
    assert f"{path}:2: products: names must be unique; repeated: a" in found


def test_durations() -> None:
    assert parse_duration("30s") == 30
    assert parse_duration("5m") == 300
    assert parse_duration("2h") == 7200
    assert parse_duration("7d") == 7 * 86400
    assert parse_duration(12) == 12
    with pytest.raises(ValueError):
        parse_duration("0s")
    with pytest.raises(ValueError):
        parse_duration(True)


def test_check_config_command_exit_codes(tmp_path: Path) -> None:
    good = write(tmp_path, "products:\n  - {id: a, name: 甲产品}\n", "good.yaml")
    bad = write(tmp_path, "storage:\n  pth: x.db\n", "bad.yaml")
    run = [sys.executable, "-m", "yujing", "check-config"]
    ok = subprocess.run([*run, str(good)], capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "OK — 0 sources, 1 product, 1 receiver" in ok.stdout
    fail = subprocess.run([*run, str(bad)], capture_output=True, text=True, cwd=tmp_path)
    assert fail.returncode == 1
    assert f"{bad}:2: storage.pth: unknown key 'pth'; did you mean 'path'?" in fail.stderr


def test_check_config_catches_what_would_fail_at_run_time(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        sources:
          - name: forum
            type: forum
            url: bbs.example.com/list
            list: {link: "a::attr(href)"}
            detail: {title: "h1::text", text: "div.body"}
          - name: forum2
            type: forum
            url: https://bbs.example.com/list
            list: {link: "a::attr(href)"}
            detail: {title: "h1..x", text: "div.body"}
        elasticsearch:
          hosts: ["localhost:9200"]
        notify:
          route:
            receiver: log
            routes:
              - matchers: ["severity=~red("]
        """,
    )
    found = problems(path)
    assert len(found) == 4
    assert (
        f"{path}:4: sources[0].url: expected an http:// or https:// URL with a host, "
        "got 'bbs.example.com/list'"
    ) in found
    assert (
        f"{path}:13: elasticsearch.hosts[0]: expected an http:// or https:// URL with a host, "
        "got 'localhost:9200'"
    ) in found
    starts = (
        f"{path}:7: sources[1]: detail.title: invalid selector 'h1..x'",
        f"{path}:18: notify.route.routes[0].matchers: matcher 'severity=~red(': "
        "invalid regular expression",
    )
    for start in starts:
        assert any(p.startswith(start) for p in found), (start, found)


def test_secrets_must_come_from_the_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        elasticsearch:
          hosts: ["http://127.0.0.1:9200"]
          api_key: c2VjcmV0
        notify:
          receivers:
            - {name: s, type: slack, token: xoxb-123-written-here, channel: "#a"}
          route: {receiver: s}
        """,
    )
    assert problems(path) == [
        f"{path}:6: notify.receivers[0].token: a secret written in the file; "
        "write ${SLACK_BOT_TOKEN} instead and set it in the environment",
        f"{path}:3: elasticsearch.api_key: a secret written in the file; "
        "write ${ES_API_KEY} instead and set it in the environment",
    ]


SHARED_FORUM = """\
sources:
  - name: board
    type: forum
    url: http://127.0.0.1/list
    shared: true
    list: {link: "a::attr(href)"}
    detail: {title: "h1::text", text: "div.post"}
"""


def test_a_shared_source_needs_the_redis_section(tmp_path: Path) -> None:
    path = write(tmp_path, SHARED_FORUM)
    [problem] = problems(path)
    assert "source board is shared (shared: true)" in problem
    assert "redis:" in problem


def test_redis_section_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, SHARED_FORUM + "redis: {url: '${REDIS_URL}', key_prefix: yj-test}\n")
    monkeypatch.setenv("REDIS_URL", "redis://:pw@redis.internal:6379/2")
    config = load_config(path)
    assert config.redis is not None and config.redis.url == "redis://:pw@redis.internal:6379/2"
    assert config.redis.key_prefix == "yj-test" and config.sources[0].shared

    monkeypatch.setenv("REDIS_URL", "redis.internal:6379")
    [problem] = problems(path)
    assert f"{path}:8: redis.url:" in problem and "redis://host:6379/0" in problem


def test_peers_decide_through_the_redis_section(tmp_path: Path) -> None:
    path = write(tmp_path, "notify:\n  peers: {lease: 30s}\n")
    [problem] = problems(path)
    assert "notify.peers" in problem and "redis:" in problem
    path = write(
        tmp_path,
        "redis: {url: 'redis://127.0.0.1:6379/0'}\nnotify:\n  peers: {name: east, lease: 30s}\n",
    )
    peers = load_config(path).notify.peers
    assert peers is not None and (peers.name, peers.lease) == ("east", 30.0)
    path = write(
        tmp_path, "redis: {url: 'redis://127.0.0.1:6379/0'}\nnotify: {peers: {lease: 0}}\n"
    )
    [problem] = problems(path)
    assert f"{path}:2: notify.peers.lease:" in problem


def test_a_products_line_and_a_categorys_dispute_are_the_regulators(tmp_path: Path) -> None:
    good = load_config(
        write(
            tmp_path,
            """\
            products:
              - {id: a, name: 甲产品, line: 重疾险}
              - {id: b, name: 乙产品}
            categories:
              - {id: claims, name: 拒赔, keywords: [拒赔], dispute: claims}
              - {id: rude, name: 态度差, keywords: [态度差]}
            """,
            "good.yaml",
        )
    )
    assert [p.line for p in good.products] == ["重疾险", None]
    assert [c.dispute for c in good.categories] == ["claims", "other"]
    path = write(
        tmp_path,
        """\
        products:
          - {id: a, name: 甲产品, line: 重大疾病}
        categories:
          - {id: claims, name: 拒赔, keywords: [拒赔], dispute: 理赔}
        """,
    )
    found = problems(path)
    assert len(found) == 2, found
    assert found[0].startswith(
        f"{path}:2: products[0].line: unknown line '重大疾病'; use one of: 车险"
    )
    assert found[1].startswith(f"{path}:4: categories[0].dispute: ")
    assert "'claims'" in found[1] and "'other'" in found[1]
