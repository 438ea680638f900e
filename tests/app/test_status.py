"""`yujing status` in a terminal of 80 columns, with errors that quote what came from outside."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from yujing.alerts import Alert, AlertState, Severity
from yujing.app.status import print_status
from yujing.config import load_config
from yujing.store import Store

LONG_ERROR = (
    "GET http://127.0.0.1:9/forum/list-of-complaints?page=1: connection refused "
    "(the site did not answer; it is retried on the next run)"
)
WHY = "1 小时内 12 条投诉，平时几乎没有；投诉人 10 位，另有匿名 2 条；来自 3 个渠道；前 1 小时没有，突然出现"
FORGED = "calls\n2026-11-30 12:00:00 ERROR yujing.daemon: forged.jsonl: file is empty"


def firing_alert(product: str, why: str) -> Alert:
    started = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    return Alert(
        key=f"burst:{product}",
        id=f"burst:{product}@20261130T080000Z",
        severity=Severity.YELLOW,
        state=AlertState.FIRING,
        started_at=started,
        updated_at=started,
        labels={"kind": "burst", "product": product},
        reasons=[why],
    )


def render(config_path: Path, width: int) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False)
    print_status(load_config(config_path), console)
    return out.getvalue()


def test_status_fits_80_columns_and_cuts_nothing_it_needs(tmp_path: Path) -> None:
    config = tmp_path / "yujing.yaml"
    config.write_text(
        f"storage: {{path: {tmp_path / 'y.db'}}}\n"
        "sources:\n"
        f"  - {{name: hotline, type: transcripts, path: {tmp_path / 'inbox'}, interval: 10s}}\n"
        f"  - {{name: east-hotline, type: transcripts, path: {tmp_path / 'in2'}, interval: 10s}}\n"
        "  - name: complaints-forum-of-the-north\n"
        "    type: forum\n"
        "    url: http://127.0.0.1:9/forum/list-of-complaints\n"
        "    interval: 5m\n"
        '    list: {link: "a::attr(href)"}\n'
        '    detail: {title: "h1::text", text: "div.body"}\n'
        "products:\n"
        "  - {id: anxin-e, name: 安心e生医疗险}\n"
        "  - {id: fumantang-annuity, name: 福满堂年金险}\n",
        encoding="utf-8",
    )
    store = Store(tmp_path / "y.db")
    store.alerts.save(firing_alert("fumantang-annuity", WHY))
    run = store.runs.start("complaints-forum-of-the-north")
    store.runs.finish(run, 12, 0, 3, LONG_ERROR)
    run = store.runs.start("hotline")
    store.runs.finish(run, 0, 0, 1, FORGED)
    store.close()

    text = render(config, 80)

    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    # The columns people read are there whole, however narrow the terminal.
    for word in ("every", "last run", "items", "new", "errors", "5m", "10s", "transcripts"):
        assert word in text, word
    # A name of an ordinary length is whole on its line, as is an alert's row.
    assert any(
        line.split()[:2] == ["east-hotline", "transcripts"] for line in lines if line.split()
    )
    assert any("burst:fumantang-annuity@20261130T080000Z" in line.split() for line in lines[:-1])
    # The last error is not cut off at the table's edge: it follows the table, wrapped.
    flat = "".join(line.strip() for line in lines)
    assert LONG_ERROR.replace(" ", "") in flat.replace(" ", "")
    # An open alert: its columns whole, why it fires under the table, not cut.
    for word in ("severity", "since", "updated", "posts", "people", "黄 yellow"):
        assert word in text, word
    assert WHY.replace(" ", "") in flat.replace(" ", "")
    # Its id whole on one line, ready to copy into the command that takes it.
    assert "    yujing alert ack burst:fumantang-annuity@20261130T080000Z" in lines
    # A name that holds a newline is shown escaped, never as a line of its own.
    assert not any(line.lstrip().startswith("2026-11-30 12:00:00 ERROR") for line in lines)
    assert "calls\\n2026-11-30" in flat


def test_status_uses_a_wide_terminal_too(tmp_path: Path) -> None:
    config = tmp_path / "yujing.yaml"
    config.write_text(
        f"storage: {{path: {tmp_path / 'y.db'}}}\n"
        f"sources:\n  - {{name: hotline, type: transcripts, path: {tmp_path / 'in'}}}\n",
        encoding="utf-8",
    )
    store = Store(tmp_path / "y.db")
    store.runs.finish(store.runs.start("hotline"), 3, 2, 0, None)
    store.close()
    text = render(config, 200)
    [row] = [line for line in text.splitlines() if line.strip().startswith("hotline")]
    assert row.split()[-4:] == ["3", "2", "0", "-"]  # items, new, errors, health


def test_check_says_whether_the_daemon_is_collecting(tmp_path: Path) -> None:
    from datetime import timedelta

    from yujing.app.cli import main
    from yujing.app.status import health
    from yujing.records import utcnow

    config_path = tmp_path / "yujing.yaml"
    config_path.write_text(
        f"storage: {{path: {tmp_path / 'y.db'}}}\n"
        "sources:\n"
        f"  - {{name: hotline, type: transcripts, path: {tmp_path / 'in'}, interval: 10s}}\n",
        encoding="utf-8",
    )
    config = load_config(config_path)
    ok, why = health(config)
    assert not ok and "no store" in why
    assert main(["status", "--check", "-c", str(config_path)]) == 1

    store = Store(tmp_path / "y.db")
    store.runs.finish(store.runs.start("hotline"), 0, 0, 0, None)
    store.close()
    assert health(config)[0]
    assert main(["status", "--check", "-c", str(config_path)]) == 0
    # Three intervals and a minute without a finished run: stopped or stuck.
    ok, why = health(config, now=utcnow() + timedelta(seconds=91))
    assert not ok and "stopped or stuck" in why
    assert health(config, now=utcnow() + timedelta(seconds=80))[0]
