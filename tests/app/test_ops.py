"""The operations on alerts, called as a console or an HTTP API would call them: the same record,
journal and notifications as the command line, with where it was done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yujing.alerts import Action, AlertEvent, EventKind
from yujing.app import ops
from yujing.config import load_config
from yujing.notifier.dispatch import Notifier
from yujing.store import Store

from .test_handling import alert, write


@pytest.fixture
def told(tmp_path: Path) -> tuple[Store, object]:
    """A store with an alert the file receiver has been told of."""
    config = load_config(write(tmp_path))
    store = Store(config.storage.path)
    fired = alert()
    with store.transaction():
        store.alerts.save(fired)
    notifier = Notifier(config, store)
    notifier.submit(AlertEvent(EventKind.FIRING, fired))
    notifier.deliver_due()
    yield store, config
    notifier.close()
    store.close()


def test_an_action_from_the_console_is_journalled_with_where_it_was_done(told) -> None:
    store, config = told
    done = ops.handle(
        store,
        config,
        "burst:anxin-e",
        Action.RESOLVE,
        by="王五",
        false_alarm="促销活动",
        via="console",
    )
    assert done.alert.id == alert().id and done.receivers == ["file"]
    assert done.handling.why == "误报：促销活动"
    [entry] = [e for e in store.audit.entries() if e.kind == "handling"]
    body = json.loads(entry.body)
    assert body["via"] == "console" and body["false_alarm"] == "促销活动"
    assert store.handling.verdicts()[done.alert.id].false_alarm == "促销活动"
    record = ops.record_of(store, done.alert.id[:20])
    assert [h.action for h in record.actions] == [Action.RESOLVE]


def test_what_cannot_be_done_says_why_and_changes_nothing(told) -> None:
    store, config = told
    with pytest.raises(ops.OpsError, match="no alert 'burst:nothing'") as missing:
        ops.handle(store, config, "burst:nothing", Action.ACK, by="张三")
    assert missing.value.code == 1
    with pytest.raises(ops.OpsError, match="false alarm") as blank:
        ops.handle(store, config, "burst:anxin-e", Action.RESOLVE, by="张三", false_alarm=" ")
    assert blank.value.code == 2
    assert store.handling.of(alert().id) == [] and store.audit.entries() == []


def test_a_silence_is_checked_kept_and_expired(told) -> None:
    store, config = told
    with pytest.raises(ops.OpsError, match="produkt=anxin-e"):
        ops.add_silence(store, config, ["produkt=anxin-e"], duration="2h", author="a", comment="c")
    with pytest.raises(ops.OpsError, match="longer than a year"):
        ops.add_silence(
            store, config, ["product=anxin-e"], duration="400d", author="a", comment="c"
        )
    silence = ops.add_silence(
        store, config, ["product=anxin-e"], duration="2h", author="张三", comment="已知问题"
    )
    assert silence.id and [s.id for s in store.silences.active(silence.starts_at)] == [silence.id]
    ops.expire_silence(store, silence.id)
    with pytest.raises(ops.OpsError, match="no active silence") as again:
        ops.expire_silence(store, silence.id)
    assert again.value.code == 1
