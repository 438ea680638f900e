"""The handling record: ``yujing alert ack|assign|note|resolve``, kept in the store with each
alert's times, shown by ``status``, told to the receivers that heard of the alert, and written
to the hash-chained audit journal that ``yujing audit verify`` checks."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.config import load_config
from yujing.notifier.dispatch import Notifier
from yujing.records import utcnow
from yujing.store import Store

STARTED = utcnow().replace(microsecond=0) - timedelta(minutes=40)


@pytest.fixture(autouse=True)
def _started_40_minutes_before_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands act at the real now: count the 40 minutes from when each test runs, not
    from when the module was imported (a long suite runs it minutes later)."""
    started = utcnow().replace(microsecond=0) - timedelta(minutes=40)
    monkeypatch.setitem(globals(), "STARTED", started)


def write(tmp_path: Path) -> Path:
    path = tmp_path / "yujing.yaml"
    config = {
        "storage": {"path": str(tmp_path / "y.db")},
        "alerts_file": None,
        "products": [
            {"id": "anxin-e", "name": "安心e生医疗险"},
            {"id": "kangning", "name": "康宁"},
        ],
        "notify": {
            "receivers": [{"name": "file", "type": "file", "path": str(tmp_path / "out.jsonl")}],
            "route": {"receiver": "file", "group_wait": "0s"},
        },
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def alert(product: str = "anxin-e") -> Alert:
    key = f"burst:{product}"
    return Alert(
        key=key,
        id=f"{key}@{STARTED:%Y%m%dT%H%M%SZ}",
        severity=Severity.ORANGE,
        state=AlertState.FIRING,
        started_at=STARTED,
        updated_at=STARTED,
        labels={"kind": "burst", "product": product},
        reasons=("1小时内 23 条投诉",),
    )


def fire(config_path: Path, *alerts: Alert) -> None:
    """As the daemon does: store each alert, journal its event, group it, then deliver."""
    config = load_config(config_path)
    store = Store(config.storage.path)
    try:
        notifier = Notifier(config, store)
        with store.transaction():
            for a in alerts:
                event = AlertEvent(EventKind.FIRING, a)
                store.alerts.save(a)
                store.audit.append("alert", a.id, event.to_dict(), STARTED)
                notifier.submit(event, STARTED)
        notifier.deliver_due(STARTED)
    finally:
        store.close()


def deliver(config_path: Path) -> None:
    config = load_config(config_path)
    store = Store(config.storage.path)
    try:
        Notifier(config, store).deliver_due()
    finally:
        store.close()


def yujing(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yujing", *args, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "250"},
    )


def sent(tmp_path: Path) -> list[dict]:
    out = tmp_path / "out.jsonl"
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_an_action_is_kept_told_and_shown(tmp_path: Path) -> None:
    config = write(tmp_path)
    fire(config, alert(), alert("kangning"))
    assert len(sent(tmp_path)) == 2, "one notification per product"
    aid = alert().id

    acked = yujing(config, "alert", "ack", aid, "--by", "张三", "--why", "已联系理赔部")
    assert acked.returncode == 0, acked.stderr
    assert acked.stdout.splitlines() == [f"张三 已确认：已联系理赔部 · {aid}", "通知：file"]
    # The series key names its open alert too.
    assigned = yujing(config, "alert", "assign", "burst:anxin-e", "--by", "张三", "--to", "李四")
    assert assigned.returncode == 0, assigned.stderr
    assert assigned.stdout.startswith(f"张三 已指派给 李四 · {aid}")

    deliver(config)  # the daemon's next round
    told = sent(tmp_path)[2:]
    assert [n["handling"]["action"] for n in told] == ["ack", "assign"]
    assert [a["id"] for n in told for a in n["alerts"]] == [aid, aid], "about that alert only"
    assert told[0]["handling"]["by"] == "张三" and told[0]["handling"]["why"] == "已联系理赔部"

    status = yujing(config, "status")
    assert status.returncode == 0, status.stderr
    assert "李四 负责 · 确认用时 40 分钟" in status.stdout
    assert "未确认" in status.stdout, "kangning's alert is nobody's yet"
    assert "张三 已指派给 李四" in status.stdout


def test_times_to_acknowledge_and_resolve_are_kept_per_alert(tmp_path: Path) -> None:
    config = write(tmp_path)
    fire(config, alert())
    aid = alert().id
    note = yujing(config, "alert", "note", aid, "--by", "王五", "--why", "媒体已关注")
    assert note.returncode == 0, note.stderr
    store = Store(tmp_path / "y.db")
    try:
        assert store.handling.times(aid).acknowledged_at is None, "a note takes nothing up"
    finally:
        store.close()
    assert yujing(config, "alert", "resolve", aid, "--by", "李四").returncode == 0
    assert yujing(config, "alert", "ack", aid, "--by", "张三").returncode == 0  # after: no change
    store = Store(tmp_path / "y.db")
    try:
        times = store.handling.times(aid)
        assert (times.acknowledged_by, times.resolved_by) == ("李四", "李四")
        assert times.resolved_at is not None and times.resolved_at - STARTED >= timedelta(
            minutes=40
        )
        assert [h.action.value for h in store.handling.of(aid)] == ["note", "resolve", "ack"]
    finally:
        store.close()
    shown = yujing(config, "alert", "show", aid)
    assert shown.returncode == 0, shown.stderr
    assert "王五 备注：媒体已关注" in shown.stdout and "李四 已处理完毕" in shown.stdout
    assert "确认用时：40 分钟" in shown.stdout and "处理用时：40 分钟" in shown.stdout


def test_unknown_alerts_and_missing_names_are_refused(tmp_path: Path) -> None:
    config = write(tmp_path)
    fire(config, alert(), alert("kangning"))
    unknown = yujing(config, "alert", "ack", "burst:nothing", "--by", "张三")
    assert unknown.returncode == 1 and "no alert 'burst:nothing'" in unknown.stderr
    ambiguous = yujing(config, "alert", "ack", "burst:", "--by", "张三")
    assert ambiguous.returncode == 1 and "names several alerts" in ambiguous.stderr
    blank = yujing(config, "alert", "ack", alert().id, "--by", " ")
    assert blank.returncode == 2 and "say who did it" in blank.stderr
    nobody = yujing(config, "alert", "assign", alert().id, "--by", "张三")
    assert nobody.returncode == 2 and "--to" in nobody.stderr
    store = Store(tmp_path / "y.db")
    try:
        assert store.handling.recent() == []
    finally:
        store.close()


# ------------------------------------------------------------------ the audit journal


def journal(tmp_path: Path) -> Path:
    """A journal of two alert events and three actions."""
    config = write(tmp_path)
    fire(config, alert(), alert("kangning"))
    for action, name in (("ack", "张三"), ("note", "李四"), ("resolve", "张三")):
        extra = ["--why", "跟进中"] if action == "note" else []
        done = yujing(config, "alert", action, alert().id, "--by", name, *extra)
        assert done.returncode == 0, done.stderr
    return config


def tamper(tmp_path: Path, *statements: str) -> None:
    """Change the file as someone with sqlite3 and write access could."""
    db = sqlite3.connect(tmp_path / "y.db")
    try:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("DROP TRIGGER audit_no_delete")
        for statement in statements:
            db.execute(statement)
        db.commit()
    finally:
        db.close()


def verify(config: Path) -> subprocess.CompletedProcess:
    return yujing(config, "audit", "verify")


def test_an_intact_journal_verifies_and_yujing_cannot_change_it(tmp_path: Path) -> None:
    config = journal(tmp_path)
    ok = verify(config)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("audit journal OK: 5 entries, head #5 ")
    store = Store(tmp_path / "y.db")
    try:
        kinds = [(e.kind, json.loads(e.body).get("action")) for e in store.audit.entries()]
        assert kinds == [
            ("alert", None),
            ("alert", None),
            ("handling", "ack"),
            ("handling", "note"),
            ("handling", "resolve"),
        ]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute("UPDATE audit SET body='{}' WHERE seq=1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute("DELETE FROM audit WHERE seq=1")
    finally:
        store.close()


def test_an_edited_entry_is_named(tmp_path: Path) -> None:
    config = journal(tmp_path)
    tamper(tmp_path, "UPDATE audit SET body=replace(body, '李四', '王五') WHERE seq=4")
    failed = verify(config)
    assert failed.returncode == 1
    assert "error: entry #4 was changed after it was written" in failed.stderr
    assert failed.stderr.count("error:") == 1


def test_a_removed_entry_is_named(tmp_path: Path) -> None:
    config = journal(tmp_path)
    tamper(tmp_path, "DELETE FROM audit WHERE seq=3")
    failed = verify(config)
    assert failed.returncode == 1
    assert "error: entry #3 was removed (#4 follows an entry that is no longer there)" in (
        failed.stderr
    )


def test_removing_the_latest_entries_is_found_too(tmp_path: Path) -> None:
    config = journal(tmp_path)
    tamper(tmp_path, "DELETE FROM audit WHERE seq>=4")
    failed = verify(config)
    assert failed.returncode == 1
    assert "the journal ends at #3, but the last entry written was #5" in failed.stderr
    # and an entry written after the cut shows the gap as well
    assert yujing(config, "alert", "ack", alert("kangning").id, "--by", "张三").returncode == 0
    again = verify(config)
    assert again.returncode == 1 and "entry #4–#5 was removed" in again.stderr


def test_reordered_entries_are_named(tmp_path: Path) -> None:
    config = journal(tmp_path)
    columns = "at, kind, alert_id, body, prev, hash"
    tamper(
        tmp_path,
        f"CREATE TEMP TABLE swap AS SELECT seq, {columns} FROM audit WHERE seq IN (3, 4)",
        *(
            f"UPDATE audit SET {c} = (SELECT {c} FROM swap WHERE swap.seq = 7 - audit.seq)"
            " WHERE seq IN (3, 4)"
            for c in columns.split(", ")
        ),
    )
    failed = verify(config)
    assert failed.returncode == 1
    assert (
        "error: entry #3 is out of order: it was written after #4, but stands after #2"
        in failed.stderr
    )
    assert "changed after it was written" not in failed.stderr, "each entry is intact"


def test_slack_shows_a_handling_action_as_a_short_reply_in_the_alerts_thread(
    tmp_path: Path,
) -> None:
    from testkit.fakes.slack import FakeSlack
    from yujing import config as cfg
    from yujing.alerts import Action, Handling
    from yujing.notifier.notification import Notification
    from yujing.notifier.receivers.slack import SlackReceiver

    token = "xoxb-1111-2222-fake"
    at = datetime(2026, 11, 30, 2, 5, tzinfo=UTC)
    handling = Handling(alert().id, Action.ACK, "张三", at, "已联系理赔部 <b> <!channel>")
    event = AlertEvent(EventKind.FIRING, alert())
    told = Notification("slack", "{}", {}, (event,), frozenset({event.id}))
    note = Notification("slack", "{}", {}, (event,), handling=handling, at=at)
    store = Store(tmp_path / "y.db")
    try:
        with FakeSlack(token=token) as slack:
            conf = cfg.SlackReceiver(
                name="slack", type="slack", token=token, channel="#预警", base_url=slack.api_url
            )
            receiver = SlackReceiver(conf, store.chat, names={"anxin-e": "安心e生医疗险"})
            receiver.send(told)
            receiver.send(note)
    finally:
        store.close()
    (top,) = slack.channel_messages()
    assert top["text"].startswith("【橙色预警】安心e生医疗险 群体投诉苗头")
    (reply,) = slack.replies(top["ts"])
    # The person's words are escaped: "<!channel>" pings nobody.
    assert reply["text"] == (
        "张三 已确认：已联系理赔部 &lt;b&gt; &lt;!channel&gt;（2026-11-30 10:05）"
    )
    assert reply["metadata"]["event_payload"] == {
        "alert_id": alert().id,
        "event_id": reply["metadata"]["event_payload"]["event_id"],
        "event": "handling",
    }


def test_a_false_alarm_is_marked_in_the_store_the_audit_journal_and_told(tmp_path: Path) -> None:
    config = write(tmp_path)
    fire(config, alert())
    aid = alert().id
    empty = yujing(config, "alert", "resolve", aid, "--by", "张三", "--false-alarm", " ")
    assert empty.returncode == 2 and "--false-alarm REASON" in empty.stderr
    done = yujing(config, "alert", "resolve", aid, "--by", "张三", "--false-alarm", "产品上线公告")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"张三 已处理完毕：误报：产品上线公告 · {aid}")
    store = Store(tmp_path / "y.db")
    try:
        assert store.handling.times(aid).false_alarm == "产品上线公告"
        assert list(store.handling.verdicts()) == [aid]
        entry = store.audit.entries()[-1]
        assert entry.kind == "handling"
        assert json.loads(entry.body)["false_alarm"] == "产品上线公告"
        assert store.audit.verify() == []
    finally:
        store.close()
    deliver(config)
    told = sent(tmp_path)[-1]
    assert told["handling"]["action"] == "resolve" and told["false_alarm"] == "产品上线公告"
