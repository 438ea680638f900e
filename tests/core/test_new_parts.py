"""A new receiver and a new command are each a module and one registry line: a receiver written in
this module is built from its config model through ``REGISTRY`` and told an alert the way the
shipped ones are; a command written here is offered and run by ``yujing`` through ``COMMANDS``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import Field

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.app import cli
from yujing.config import Config, Notify, Receiver
from yujing.config.base import Strict
from yujing.notifier.dispatch import Notifier
from yujing.notifier.notification import Notification
from yujing.notifier.receivers import REGISTRY, ReceiverContext, build_receivers
from yujing.notifier.render import notification_line, notification_view
from yujing.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HEARD: list[str] = []


class PagerReceiver(Strict):
    """The new receiver's config model."""

    name: str
    type: Literal["pager"]
    number: str


class Pager:
    """The new receiver: writes what it is told, as a pager would show it."""

    def __init__(self, conf: PagerReceiver, context: ReceiverContext):
        self.conf, self.names = conf, context.names

    @classmethod
    def from_config(cls, conf: PagerReceiver, context: ReceiverContext) -> Pager:
        return cls(conf, context)

    def send(self, notification: Notification) -> None:
        view = notification_view(notification, names=self.names)
        HEARD.append(f"{self.conf.number}: {notification_line(view)}")


class PagerNotify(Notify):
    receivers: list[Annotated[Receiver | PagerReceiver, Field(discriminator="type")]]


class PagerConfig(Config):
    notify: PagerNotify


def pager_config(tmp_path: Path) -> PagerConfig:
    return PagerConfig.model_validate(
        {
            "storage": {"path": str(tmp_path / "y.db")},
            "alerts_file": None,
            "products": [{"id": "anxin-e", "name": "安心e生医疗险"}],
            "notify": {
                "receivers": [{"name": "duty", "type": "pager", "number": "8001"}],
                "route": {"receiver": "duty", "group_wait": "0s"},
            },
        }
    )


def firing() -> AlertEvent:
    alert = Alert(
        key="burst:anxin-e",
        id="burst:anxin-e@20260302T090000Z",
        severity=Severity.ORANGE,
        state=AlertState.FIRING,
        started_at=T0,
        updated_at=T0,
        labels={"kind": "burst", "product": "anxin-e"},
        reasons=("1 小时内 12 条投诉",),
    )
    return AlertEvent(EventKind.FIRING, alert)


def test_a_receiver_is_a_module_and_a_registry_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    HEARD.clear()
    monkeypatch.setitem(REGISTRY, PagerReceiver, f"{__name__}:Pager")
    config = pager_config(tmp_path)
    store = Store(config.storage.path)
    notifier = Notifier(config, store)
    try:
        with store.transaction():
            notifier.submit(firing())
        notifier.deliver_due()
    finally:
        notifier.close()
        store.close()
    assert HEARD == [
        "8001: 【橙色预警】安心e生医疗险 群体投诉苗头 — 1 小时内 12 条投诉 [burst:anxin-e@20260302T090000Z]"
    ]


def test_without_its_registry_line_the_receiver_is_not_built(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="PagerReceiver"):
        build_receivers(pager_config(tmp_path))


class Hello:
    """The new command, as a module of ``yujing.app.cli`` would be."""

    @staticmethod
    def register(sub: Any) -> None:
        p = sub.add_parser("hello", help="say hello")
        p.add_argument("name")
        p.set_defaults(func=lambda args: print(f"你好，{args.name}") or 0)


def test_a_command_is_a_module_and_a_line_in_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):  # not there yet: argparse refuses it
        cli.main(["hello", "张三"])
    assert "invalid choice: 'hello'" in capsys.readouterr().err
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, Hello))
    assert cli.main(["hello", "张三"]) == 0
    assert capsys.readouterr().out == "你好，张三\n"
    assert "say hello" in cli.build_parser().format_help()
