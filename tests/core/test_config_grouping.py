"""Route grouping and timers in the config: the shipped defaults, inheritance as in
Alertmanager, and every mistake named by file, line and field."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from yujing.config import ConfigError, load_config, walk_opts

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "yujing.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


def opts(path: Path) -> list[tuple]:
    config = load_config(path)
    return [
        (o.receiver, o.group_by, o.group_wait, o.group_interval, o.repeat_interval)
        for _, _, o in walk_opts(config.notify.route)
    ]


def test_the_shipped_timers_suit_a_pr_team(tmp_path: Path) -> None:
    shipped = (("product",), 30.0, 300.0, 4 * 3600.0)
    assert opts(write(tmp_path, "notify: {}\n")) == [("log", *shipped)]
    config = load_config(ROOT / "config" / "yujing.yaml")
    assert config.notify.route.group_by == ["product"], "written out where users look"
    assert opts(ROOT / "config" / "yujing.yaml")[0] == ("log", *shipped)


def test_children_inherit_what_they_do_not_set(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        notify:
          route:
            receiver: log
            group_by: [product, category]
            group_wait: 1m
            routes:
              - matchers: ["severity=red"]
                group_wait: 0s
                repeat_interval: 1h
                routes:
                  - matchers: ["kind=burst"]
                    group_by: ["..."]
              - matchers: ["severity=blue"]
                group_interval: 10m
        """,
    )
    assert opts(path) == [
        ("log", ("product", "category"), 60.0, 300.0, 14400.0),
        ("log", ("product", "category"), 0.0, 300.0, 3600.0),
        ("log", None, 0.0, 300.0, 3600.0),  # "...": every label
        ("log", ("product", "category"), 60.0, 600.0, 14400.0),
    ]


def test_bad_timers_and_group_by_are_named_by_file_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        notify:
          route:
            receiver: log
            group_wait: soon
            routes:
              - group_by: ["...", product]
              - group_interval: 0s
              - group_wait: -5
        """,
    )
    assert problems(path) == [
        f"{path}:4: notify.route.group_wait: invalid duration 'soon': expected a number of "
        "seconds or 30s, 5m, 2h, 7d",
        f"{path}:6: notify.route.routes[0].group_by: '...' means every label and stands alone "
        "in group_by",
        f"{path}:7: notify.route.routes[1].group_interval: a duration must be greater than zero",
        f"{path}:8: notify.route.routes[2].group_wait: a duration must not be negative",
    ]


def test_labels_that_cannot_group_and_clashing_timers_are_named(tmp_path: Path) -> None:
    # Checked once the config's shape is valid, like the matchers.
    path = write(
        tmp_path,
        """\
        notify:
          route:
            receiver: log
            group_by: [prodcut, severity]
            routes:
              - group_interval: 1h
                repeat_interval: 30m
        """,
    )
    assert problems(path) == [
        f"{path}:4: notify.route.group_by[0]: unknown label 'prodcut'; did you mean 'product'? "
        "(labels: kind, product, source, category, severity, state, event, categories, new_terms)",
        f"{path}:4: notify.route.group_by[1]: cannot group by 'severity': it changes when an "
        "alert escalates, and an alert stays in one group from firing to resolved; route by it "
        "with matchers instead",
        f"{path}:7: notify.route.routes[0].repeat_interval: repeat_interval (1800s) is shorter "
        "than group_interval (3600s): a group is only looked at every group_interval, so make "
        "repeat_interval at least as long",
    ]


def test_a_child_interval_longer_than_the_inherited_repeat_is_named(tmp_path: Path) -> None:
    # An inherited repeat_interval (4h) shorter than the child's own group_interval.
    path = write(
        tmp_path,
        """\
        notify:
          route:
            receiver: log
            routes:
              - group_by: [state]
                group_interval: 5h
        """,
    )
    found = problems(path)
    assert len(found) == 2, found
    assert found[0].startswith(
        f"{path}:5: notify.route.routes[0].group_by[0]: cannot group by 'state'"
    )
    assert found[1].startswith(f"{path}:6: notify.route.routes[0].group_interval: repeat_interval")


def test_check_config_prints_them(tmp_path: Path) -> None:
    path = write(tmp_path, "notify:\n  route:\n    receiver: log\n    group_by: [prodcut]\n")
    run = subprocess.run(
        [sys.executable, "-m", "yujing", "check-config", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 1
    assert f"{path}:4: notify.route.group_by[0]: unknown label 'prodcut'" in run.stderr
