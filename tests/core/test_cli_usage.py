"""The command as people type it: --version, -v anywhere, hints that run as printed."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from yujing.app.cli import build_parser, main
from yujing.app.paths import invoked_as


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"yujing {version('yujing')}"


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "status"],
        ["status", "-v"],
        ["status", "--verbose", "-c", "x.yaml"],
        ["-v", "status", "-c", "x.yaml"],
        ["ingest", "a.jsonl", "-v"],
        ["route", "test", "-v", "severity=red"],
        ["silence", "list", "-v"],
        ["demo", "--once", "-v"],
    ],
)
def test_verbose_before_or_after_the_command(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).verbose is True


@pytest.mark.parametrize("argv", [["status"], ["ingest", "a.jsonl"], ["silence", "list"]])
def test_not_verbose_unless_asked(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).verbose is False


def test_hint_names_python_m_yujing_when_started_so() -> None:
    assert invoked_as("/srv/app/yujing/__main__.py") == f"{shlex.quote(sys.executable)} -m yujing"


def test_hint_names_the_script_as_typed_when_it_is_not_on_the_path(
    tmp_path: Path, monkeypatch
) -> None:
    bin_dir = tmp_path / "my venv" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "yujing"
    script.write_text('#!/bin/sh\necho ran "$@"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")

    hint = invoked_as("my venv/bin/yujing")

    assert hint == "'my venv/bin/yujing'"
    ran = subprocess.run(
        f"{hint} status -c x.yaml",
        shell=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert ran.stdout == "ran status -c x.yaml\n", ran.stderr


def test_hint_is_the_short_name_when_the_path_finds_the_same_script(
    tmp_path: Path, monkeypatch
) -> None:
    script = tmp_path / "yujing"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert invoked_as(str(script)) == "yujing"
    # Another yujing on the PATH is not this one: the path it was started by is named.
    other = tmp_path / "venv2" / "yujing"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n", encoding="utf-8")
    other.chmod(other.stat().st_mode | stat.S_IXUSR)
    assert invoked_as(str(other)) == str(other)
