"""Bad stores, a full disk, absurd durations and misplaced config: one clear line, a non-zero
exit, no traceback, and nothing stored is damaged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from yujing.app.cli import main
from yujing.config import ConfigError, load_config
from yujing.store import Store, why_unusable
from yujing.store import facade as store_facade


def write(tmp_path: Path, text: str, name: str = "yujing.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def config_at(tmp_path: Path, db: Path) -> Path:
    return write(
        tmp_path,
        f"storage: {{path: {db}}}\nalerts_file: null\n"
        "products:\n  - {id: anxin-e, name: 安心e生医疗险, aliases: [安心e生]}\n",
    )


def calls_file(tmp_path: Path, n: int, name: str = "calls.jsonl", first: int = 0) -> Path:
    path = tmp_path / name
    rows = [
        {
            "id": f"c{i}",
            "caller": f"1380000{i:04d}",
            "text": f"安心e生理赔被拒，第{i}位" + "很长" * 200,
        }
        for i in range(first, first + n)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, err
    return errors[0]


@pytest.mark.parametrize("command", [["status"], ["ingest"], ["silence", "list"]])
def test_a_store_that_is_not_sqlite_is_named_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    db = tmp_path / "y.db"
    db.write_bytes(b"these are somebody's notes, not a database\n" * 100)
    before = db.read_bytes()
    config = config_at(tmp_path, db)
    extra = [str(calls_file(tmp_path, 1))] if command == ["ingest"] else []
    assert main([*command, "-c", str(config), *extra]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert f"storage.path {db}: is not a SQLite database" in line
    assert db.read_bytes() == before


def test_the_daemon_on_a_store_that_is_not_sqlite_stops_with_one_line(tmp_path: Path) -> None:
    """In a process of its own: ``yujing run`` takes the Twisted reactor, which runs once."""
    db = tmp_path / "y.db"
    db.write_bytes(b"not a database\n" * 100)
    config = config_at(tmp_path, db)
    done = subprocess.run(
        [sys.executable, "-m", "yujing", "run", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert f"storage.path {db}: is not a SQLite database" in line


def test_a_full_disk_in_ingest_says_so_and_keeps_what_was_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "y.db"
    config = config_at(tmp_path, db)
    assert main(["ingest", "-c", str(config), str(calls_file(tmp_path, 5, "first.jsonl"))]) == 0
    capsys.readouterr()
    store = Store(db)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.close()

    real = store_facade.connect

    def small_disk(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
        conn = real(path, readonly=readonly)
        conn.execute(f"PRAGMA max_page_count={pages + 4}")  # SQLite's own "disk is full"
        return conn

    monkeypatch.setattr(store_facade, "connect", small_disk)
    big = calls_file(tmp_path, 400, "second.jsonl", first=100)
    assert main(["ingest", "-c", str(config), str(big)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "disk is full" in err and "free some space" in err, err
    monkeypatch.undo()
    store = Store(db)
    try:
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.posts.count() >= 5  # the first file's calls are all there
    finally:
        store.close()


@pytest.mark.parametrize(
    "message",
    ["attempt to write a readonly database", "unable to open database file"],
)
def test_a_store_that_cannot_be_written_says_what_to_check(message: str) -> None:
    why = why_unusable(sqlite3.OperationalError(message))
    assert "storage.path" in why and ("permissions" in why or "can be written" in why)


def test_a_store_folder_that_is_a_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("x")
    config = config_at(tmp_path, tmp_path / "afile" / "y.db")
    assert main(["ingest", "-c", str(config), str(calls_file(tmp_path, 1))]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "cannot be opened" in line and "afile" in line


@pytest.mark.parametrize("duration", ["99999999d", "400d"])
def test_a_silence_longer_than_a_year_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], duration: str
) -> None:
    config = config_at(tmp_path, tmp_path / "y.db")
    argv = ["silence", "add", "-c", str(config), f"--duration={duration}", "--comment", "x"]
    assert main([*argv, "product=anxin-e"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "longer than a year" in line and "route them to no receiver" in line


# ---------------------------------------------------------------- check-config


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


def test_a_one_character_alias_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "products:\n  - {id: lejia, name: 乐驾车险, aliases: [乐驾], abbreviations: [乐]}\n",
    )
    [problem] = problems(path)
    assert problem.startswith(f"{path}:2: products[0].abbreviations: '乐' is one character")


def test_a_url_with_a_password_is_refused_without_repeating_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "notify:\n  receivers:\n    - name: hook\n      type: webhook\n"
        "      url: https://bob:hunter2@hooks.example.com/a\n      secret: ${S:-s}\n"
        "  route: {receiver: hook}\n",
    )
    [problem] = problems(path)
    assert problem.startswith(f"{path}:5: notify.receivers[0].url: a user name or password")
    assert "secret" in problem and "hunter2" not in problem and "bob" not in problem


def test_a_key_in_the_wrong_section_is_told_where_it_belongs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "products:\n  - id: anxin-e\n    name: 安心e生\n    policy_patterns: ['P[0-9]{12}']\n",
    )
    assert problems(path) == [
        f"{path}:4: products[0].policy_patterns: unknown key 'policy_patterns' here; "
        "it belongs in privacy.policy_patterns"
    ]


def test_an_included_file_cannot_include_others(tmp_path: Path) -> None:
    write(tmp_path, "include: [more.yaml]\nproducts: []\n", name="products.yaml")
    path = write(tmp_path, "include: [products.yaml]\n")
    [problem] = problems(path)
    assert "an included file cannot include others" in problem
    assert problem.startswith(f"{tmp_path / 'products.yaml'}:1: include")


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_an_include_that_is_not_a_regular_file_is_refused_unread(
    tmp_path: Path, target: str
) -> None:
    path = write(tmp_path, f"include: [{target}]\n")
    [problem] = problems(path)
    assert "is not a regular file" in problem


def test_an_include_too_big_to_be_a_config_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("# " + "x" * (5 * 1024 * 1024) + "\n")
    path = write(tmp_path, "include: [big.yaml]\n")
    [problem] = problems(path)
    assert "is larger than 4 MiB" in problem


# ---------------------------------------------------------------- handling text is user text


def test_handling_names_and_reasons_are_redacted_and_escaped_everywhere(tmp_path: Path) -> None:
    from ..app import test_handling as handling

    handling.STARTED = handling.utcnow().replace(microsecond=0)
    config = handling.write(tmp_path)
    handling.fire(config, handling.alert())
    aid = handling.alert().id
    why = "客户电话13912345678，身份证11010519491231002X，已回电"
    by = "张三\x1b[31m\x1b]0;pwned\x07"
    done = handling.yujing(config, "alert", "note", aid, "--by", by, "--why", why)
    assert done.returncode == 0, done.stderr
    handling.deliver(config)
    shown = handling.yujing(config, "alert", "show", aid).stdout
    told = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    store = Store(tmp_path / "y.db")
    try:
        journal = "\n".join(str(e) for e in store.audit.entries())
    finally:
        store.close()
    for name, text in {
        "command": done.stdout,
        "show": shown,
        "receiver": told,
        "audit": journal,
    }.items():
        assert "13912345678" not in text and "11010519491231002X" not in text, name
        assert "\x1b" not in text and "\x07" not in text, name
    assert "[手机号]" in shown and "[身份证]" in shown


# ---------------------------------------------------------------- replay --counts input


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ("2026-01-01 03:00:00,nan", "is not a count"),
        ("2026-01-01 03:00:00,inf", "is not a count"),
        ("2026-01-01 03:00:00,-5", "is not a count"),
        ("2026-01-01 03:00:00,1e308", "is not a count"),
        ("2026-01-01 03:00:00,lots", "is not a number"),
        ("1900-01-01 03:00:00,4", "is before 1970"),
        ("0001-01-01 03:00:00,4", "is before 1970"),
        ("2026-13-01 03:00:00,4", "is not a time"),
        ("2026-01-01 03:00:00", "expected a time and a value"),
    ],
)
def test_replay_counts_names_a_bad_row_and_exits_1(tmp_path: Path, row: str, said: str) -> None:
    path = tmp_path / "c.csv"
    good = [f"2026-01-01 0{h}:00:00,{h + 1}" for h in range(3)]
    path.write_text("timestamp,value\n" + "\n".join([*good, row]) + "\n", encoding="utf-8")
    config = config_at(tmp_path, tmp_path / "y.db")
    done = subprocess.run(
        [sys.executable, "-m", "yujing", "replay", "-c", str(config), "--counts", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{path}:5: field" in done.stderr or f"{path}:5: 1 column" in done.stderr
    assert said in done.stderr and "1 row(s) left out" in done.stderr
