"""The wheel holds one import package, ``yujing``, with every module and the shipped YAML, and
its layers keep the contracts in ``.importlinter`` (import-linter, run on the built package)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from testkit.wheel import build_wheel, copy_tracked

ROOT = Path(__file__).resolve().parent.parent
# Source folders and where they land inside the package.
FOLDERS = {
    "yujing": "yujing",
    "crawlers": "yujing/crawlers",
    "detector": "yujing/detector",
    "notifier": "yujing/notifier",
    "config": "yujing/defaults",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy of the tracked files, as a release from a clean clone is: a stale
    # ./build or an untracked file in the working tree can neither leak in nor be written to.
    src = copy_tracked(ROOT, tmp_path_factory.mktemp("src"))
    return build_wheel(src, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def unpacked(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    zipfile.ZipFile(wheel).extractall(site)
    return site


def test_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert top == {"yujing"}


def test_every_module_and_shipped_file_is_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = []
    for folder, target in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if (
                path.suffix in (".py", ".yaml", ".gz", ".json", ".j2", ".ndjson")
                and "__pycache__" not in path.parts
            ):
                wanted.append(f"{target}/{path.relative_to(ROOT / folder).as_posix()}")
    assert len(wanted) > 50
    assert sorted(set(wanted) - names) == []


def test_the_stages_are_not_importable_on_their_own(tmp_path: Path) -> None:
    # Installed, the stages exist only inside yujing (PyPI has other packages called
    # "detector" and "notifier"). Run away from the checkout, whose folders would be found.
    code = (
        "import importlib.util as u;"
        "print([n for n in ('crawlers', 'detector', 'notifier') if u.find_spec(n)]);"
        "print(u.find_spec('yujing.detector').origin)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    found, origin = result.stdout.splitlines()
    assert found == "[]"
    assert origin.endswith("__init__.py")


def test_the_unpacked_wheel_runs_and_finds_its_shipped_config(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import yujing, sys; from yujing.app.paths import shipped_config_dir;"
        "from yujing.config import load_config;"
        "d = shipped_config_dir(); c = load_config(d / 'yujing.yaml');"
        "print(yujing.__file__); print(d); print(len(c.products))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,  # no ./config here: the packaged copy must be found
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    module_file, config_dir, products = result.stdout.split()
    assert module_file.startswith(str(site))
    assert config_dir == str(site / "yujing" / "defaults")
    assert int(products) > 0


def test_imports_point_down(unpacked: Path) -> None:
    # import-linter reads the package from disk, so it checks the built layout, where the
    # stages really are inside yujing (an editable install only maps them there).
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "lint-imports"),
            "--no-cache",
            str(ROOT / ".importlinter"),
        ],
        cwd=unpacked,  # lint-imports puts its working folder first on the path
        env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
