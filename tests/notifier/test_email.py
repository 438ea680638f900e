"""E-mail over SMTP with TLS, at the wire: a local aiosmtpd server with a certificate made for the
test speaks STARTTLS or implicit TLS, asks for a login, and keeps what it was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.fakes.smtp import FakeSMTP
from yujing import config as cfg
from yujing.notifier.receivers import Refused, RetryLater
from yujing.notifier.receivers.email import EmailReceiver

from .conftest import make_event, notification
from .hostile import hostile_event

NAMES = {"anxin-e": "安心e生医疗险"}
PASSWORD = "s3cret-smtp-pw"


def mailer(smtp: FakeSMTP, tls: str = "starttls", names=NAMES, **changes) -> EmailReceiver:
    settings = {
        "name": "mail-pr",
        "type": "email",
        "host": smtp.host,
        "port": smtp.port,
        "tls": tls,
        "username": "yujing-bot",
        "password": PASSWORD,
        "sender": "yujing@insurer.example.cn",
        "to": ["pr@insurer.example.cn", "duty@insurer.example.cn"],
        "ca_file": smtp.ca_file,
        **changes,
    }
    return EmailReceiver(cfg.EmailReceiver(**settings), names=names)


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_mail_goes_over_tls_with_a_login(tmp_path: Path, tls: str) -> None:
    with FakeSMTP(tmp_path, tls=tls, username="yujing-bot", password=PASSWORD) as smtp:
        mailer(smtp, tls).send(notification(make_event()))
    (got,) = smtp.messages
    assert got.tls and got.login == "yujing-bot"
    assert got.mail_from == "yujing@insurer.example.cn"
    assert got.rcpt_tos == ["pr@insurer.example.cn", "duty@insurer.example.cn"]
    msg = got.message
    assert msg["Subject"] == "【橙色预警】安心e生医疗险 群体投诉苗头"
    assert msg["To"] == "pr@insurer.example.cn, duty@insurer.example.cn"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    body = msg.get_content()
    assert body.splitlines()[0] == "【橙色预警】安心e生医疗险 群体投诉苗头"
    assert "数量：23 条投诉（平时约 2.1 条）· 投诉人 15 位 · 渠道 3 个" in body
    assert "· 安心e生理赔被拒，大家一起投诉 https://bbs.example.cn/t/1" in body
    assert PASSWORD.encode() not in got.raw


def test_one_event_has_one_message_id_on_every_try(tmp_path: Path) -> None:
    with FakeSMTP(tmp_path, username="yujing-bot", password=PASSWORD) as smtp:
        receiver = mailer(smtp)
        receiver.send(notification(make_event()))
        receiver.send(notification(make_event()))  # a retry after an uncertain send
        receiver.send(notification(make_event("resolved")))
    first, again, resolved = (m.message["Message-ID"] for m in smtp.messages)
    assert first == again != resolved
    assert first.startswith("<") and first.endswith("@yujing>")


def test_wrong_password_is_refused_without_showing_it(tmp_path: Path) -> None:
    with (
        FakeSMTP(tmp_path, username="yujing-bot", password=PASSWORD) as smtp,
        pytest.raises(Refused) as caught,
    ):
        mailer(smtp, password="not-the-password").send(notification(make_event()))
    assert "refused the login (535)" in str(caught.value)
    assert "not-the-password" not in str(caught.value)
    assert smtp.messages == []


def test_untrusted_certificate_says_to_set_ca_file(tmp_path: Path) -> None:
    with (
        FakeSMTP(tmp_path, username="yujing-bot", password=PASSWORD) as smtp,
        pytest.raises(Refused, match="set ca_file"),
    ):
        mailer(smtp, ca_file=None).send(notification(make_event()))
    assert smtp.messages == []


def test_starttls_to_a_server_without_it_is_refused_before_any_login(tmp_path: Path) -> None:
    with FakeSMTP(tmp_path, tls="none") as smtp, pytest.raises(Refused, match="no STARTTLS"):
        mailer(smtp).send(notification(make_event()))
    assert smtp.messages == []


def test_a_busy_server_is_tried_again_later(tmp_path: Path) -> None:
    with FakeSMTP(tmp_path, username="yujing-bot", password=PASSWORD) as smtp:
        smtp.defer(1)
        receiver = mailer(smtp)
        with pytest.raises(RetryLater, match="451") as caught:
            receiver.send(notification(make_event()))
        assert caught.value.retry_after == 60.0
        receiver.send(notification(make_event()))
    assert len(smtp.messages) == 1


def test_a_name_cannot_add_headers(tmp_path: Path) -> None:
    names = {"anxin-e": "安心e生\r\nBcc: leak@evil.example"}
    with FakeSMTP(tmp_path, username="yujing-bot", password=PASSWORD) as smtp:
        mailer(smtp, names=names).send(notification(hostile_event()))
    (got,) = smtp.messages
    assert got.message["Bcc"] is None
    assert got.rcpt_tos == ["pr@insurer.example.cn", "duty@insurer.example.cn"]
    assert got.message["Subject"] == "【橙色预警】安心e生 Bcc: leak@evil.example 群体投诉苗头"
    # Plain text: the post title is shown as written, and no link is made for javascript:.
    body = got.message.get_content()
    assert "[点我](http://evil.example/x)" in body and "javascript:" not in body


def test_login_over_plain_smtp_is_refused_by_the_config() -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        cfg.EmailReceiver(
            name="m",
            type="email",
            host="mail",
            tls="none",
            username="u",
            password="p",
            sender="a@b.cn",
            to=["c@d.cn"],
        )
    with pytest.raises(ValueError, match="not e-mail addresses"):
        cfg.EmailReceiver(name="m", type="email", host="mail", sender="a@b.cn", to=["pr team"])
    assert (
        cfg.EmailReceiver(
            name="m", type="email", host="h", sender="a@b.cn", to=["c@d.cn"]
        ).smtp_port
        == 587
    )


def test_a_group_is_one_mail_its_subject_the_groups_heading(tmp_path: Path) -> None:
    claims = make_event(
        "resolved", id="burst:anxin-e/claims@1", key="burst:anxin-e/claims", category="claims"
    )
    with FakeSMTP(tmp_path, username="yujing-bot", password=PASSWORD) as smtp:
        mailer(smtp).send(notification(make_event(), claims))
    (got,) = smtp.messages
    assert got.message["Subject"] == "【橙色预警】安心e生医疗险 1 条预警，1 条已解除"
    body = got.message.get_content()
    assert "【已解除】安心e生医疗险·claims 群体投诉苗头" in body
    assert body.count("预警编号：") == 2
