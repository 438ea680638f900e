from __future__ import annotations

import pytest

from yujing.config import Route
from yujing.notifier.route import match_receivers, parse_matcher


def route(**d) -> Route:
    return Route.model_validate(d)


def test_root_always_matches_and_gives_its_receiver() -> None:
    assert match_receivers(route(receiver="log"), {}) == ["log"]
    assert match_receivers(
        route(receiver="log", matchers=["severity=red"]), {"severity": "blue"}
    ) == ["log"]


@pytest.mark.parametrize(
    ("matcher", "labels", "expected"),
    [
        ("severity=red", {"severity": "red"}, True),
        ("severity=red", {"severity": "orange"}, False),
        ("severity = red", {"severity": "red"}, True),
        ('severity="red"', {"severity": "red"}, True),
        ("severity!=red", {"severity": "orange"}, True),
        ("severity!=red", {"severity": "red"}, False),
        ("team!=pr", {}, True),  # a missing label is the empty string
        ("team=", {}, True),
        ("severity=~orange|red", {"severity": "red"}, True),
        ("severity=~orange|red", {"severity": "yellow"}, False),
        ("product=~anxin", {"product": "anxin-e"}, False),  # anchored: the whole value
        ("product=~anxin.*", {"product": "anxin-e"}, True),
        ("product=~.*e", {"product": "anxin-e"}, True),
        ("product!~anxin.*", {"product": "anxin-e"}, False),
        ("product!~anxin", {"product": "anxin-e"}, True),  # anchored too
        ("severity!~orange|red", {"severity": "blue"}, True),
        ("severity !~ orange|red", {"severity": "red"}, False),
        ("category!~.+", {}, True),  # a missing label is the empty string
        ("category!~.+", {"category": "理赔"}, False),
    ],
)
def test_matchers(matcher: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(matcher).matches(labels) is expected


def test_first_matching_child_takes_the_alert() -> None:
    tree = route(
        receiver="log",
        routes=[
            {"receiver": "pager", "matchers": ["severity=red"]},
            {"receiver": "slack", "matchers": ["severity=~orange|red"]},
        ],
    )
    assert match_receivers(tree, {"severity": "red"}) == ["pager"]
    assert match_receivers(tree, {"severity": "orange"}) == ["slack"]
    assert match_receivers(tree, {"severity": "blue"}) == ["log"]


def test_continue_lets_later_siblings_match_too() -> None:
    tree = route(
        receiver="log",
        routes=[
            {"receiver": "es", "continue": True},
            {"receiver": "slack", "matchers": ["product=anxin-e"]},
            {"receiver": "never"},
        ],
    )
    assert match_receivers(tree, {"product": "anxin-e"}) == ["es", "slack"]
    assert match_receivers(tree, {"product": "other"}) == ["es", "never"]


def test_nested_routes_and_inherited_receiver() -> None:
    tree = route(
        receiver="log",
        routes=[
            {
                "matchers": ["team=pr-east"],  # no receiver: inherits "log" from the root
                "routes": [{"receiver": "slack-east", "matchers": ["severity=~orange|red"]}],
            },
            {"receiver": "slack-all"},
        ],
    )
    assert match_receivers(tree, {"team": "pr-east", "severity": "red"}) == ["slack-east"]
    assert match_receivers(tree, {"team": "pr-east", "severity": "blue"}) == ["log"]
    assert match_receivers(tree, {"team": "pr-west", "severity": "red"}) == ["slack-all"]


def test_a_receiver_reached_twice_is_listed_once() -> None:
    tree = route(
        receiver="log",
        routes=[{"receiver": "slack", "continue": True}, {"receiver": "slack"}],
    )
    assert match_receivers(tree, {}) == ["slack"]


def test_no_receiver_anywhere_means_none() -> None:
    assert match_receivers(route(routes=[{"matchers": ["a=b"]}]), {"a": "b"}) == []


def test_a_negative_regex_route_takes_everything_else() -> None:
    tree = route(
        receiver="log", routes=[{"receiver": "quiet", "matchers": ["severity!~orange|red"]}]
    )
    assert match_receivers(tree, {"severity": "blue"}) == ["quiet"]
    assert match_receivers(tree, {"severity": "red"}) == ["log"]
    with pytest.raises(ValueError, match="invalid regular expression"):
        parse_matcher("severity!~(red")
