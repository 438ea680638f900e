"""Odd and hostile config files get a one-line problem with file and line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from yujing.config import ConfigError, load_config


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "yujing.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [p.replace(str(tmp_path) + "/", "") for p in info.value.problems]


def test_an_empty_section_says_so(tmp_path: Path) -> None:
    assert problems(tmp_path, "storage:\n") == [
        "yujing.yaml:1: storage: is empty; write its settings under it, or delete the line "
        "to use the defaults"
    ]
    assert problems(tmp_path, "sources:\nproducts:\n  - {id: a, name: A}\n")[0].startswith(
        "yujing.yaml:1: sources: is empty"
    )


def test_a_key_that_is_a_list_or_mapping(tmp_path: Path) -> None:
    assert problems(tmp_path, "? [a, b]\n: 1\n") == [
        "yujing.yaml:1: (top level): a key must be a plain name, not a list or mapping"
    ]


def test_a_folder_where_a_file_belongs(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "include: ['.']\n")
    assert found.startswith("yujing.yaml:1: include[0]: ")
    assert found.endswith(": is a folder; name the config file in it (e.g. yujing.yaml)")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.problems == [
        f"{tmp_path}: is a folder; name the config file in it (e.g. yujing.yaml)"
    ]


def test_deep_nesting_and_alias_bombs_are_refused_quickly(tmp_path: Path) -> None:
    deep = problems(tmp_path, "x: " + "[" * 3000 + "]" * 3000 + "\n")
    assert deep == ["yujing.yaml: nested more than 40 levels deep"]
    nested_maps = "".join(f"{'  ' * i}k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n"
    assert "nested more than 40 levels deep" in problems(tmp_path, nested_maps)[0]
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcde", "bcdef", strict=True)
    )
    assert problems(tmp_path, bomb) == [
        "yujing.yaml:1: the file expands to more than 100,000 values; anchors and aliases "
        "(&name, *name) that repeat each other multiply it"
    ]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("detection: {evaluate_every: .nan}", "a duration must be a finite number"),
        ("detection: {burst: {window: .inf}}", "a duration must be a finite number"),
        ("sources: [{name: s, type: feed, url: 'http://x.cn/f', interval: .inf}]", "finite"),
        ("detection: {burst: {ratio: .inf}}", "Input should be a finite number"),
        ("detection: {burst: {p_value: .nan}}", "Input should be a finite number"),
    ],
)
def test_nan_and_infinity_are_refused(tmp_path: Path, setting: str, message: str) -> None:
    (found,) = problems(tmp_path, setting + "\n")
    assert found.startswith("yujing.yaml:1: ") and message in found


def test_check_config_on_a_folder_exits_1_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "yujing", "check-config", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "is a folder" in result.stderr and "Traceback" not in result.stderr
