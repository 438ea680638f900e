"""A local SMTP server (aiosmtpd) that speaks STARTTLS or implicit TLS with a certificate made
for the test, asks for a login when given one, and keeps every message it accepted.

Usage::

    with FakeSMTP(tmp_path, tls="starttls", username="bot", password="pw") as smtp:
        receiver config: host=smtp.host, port=smtp.port, tls="starttls", ca_file=smtp.ca_file
        smtp.messages  # Received(mail_from, rcpt_tos, message, tls, login)

``defer(n)`` answers the next n messages 451 (try later), as a busy server does. ``go_down(how)``
fails every message until ``recover()``, as the HTTP fakes do (``_http.OUTAGES``): nothing
listens, a server fault (451 4.3.0), too many messages (421 4.7.0), or no answer to the message
until after ``recover()`` (it is not kept).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ._http import OUTAGES

__all__ = ["FakeSMTP", "Received", "make_certificate"]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    tls: bool
    login: str | None


def make_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate it signed for 127.0.0.1 and localhost: (ca, cert, key) files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "yujing test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, fake: FakeSMTP):
        self.fake = fake

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        outage = self.fake.outage
        if outage == "slow":
            while self.fake.outage == "slow":  # the client times out meanwhile
                await asyncio.sleep(0.02)
            return "451 4.3.0 Timeout, message not accepted"
        if outage == "rate_limited":
            return "421 4.7.0 Too many messages, try again later"
        if outage is not None:
            return "451 4.3.0 Error: queue file write error"
        if self.fake._defer > 0:
            self.fake._defer -= 1
            return "451 4.3.0 Mail server temporarily busy, try again later"
        raw = envelope.original_content or envelope.content
        self.fake.messages.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=message_from_bytes(raw, policy=policy.default),  # type: ignore[arg-type]
                raw=raw,
                tls=server.transport.get_extra_info("ssl_object") is not None,
                login=_text(session.auth_data),
            )
        )
        return "250 2.0.0 OK: queued"


class FakeSMTP:
    def __init__(
        self,
        folder: Path,
        tls: str = "starttls",
        username: str | None = None,
        password: str | None = None,
    ):
        self.ca_file, cert, key = make_certificate(folder)
        self.tls = tls
        self.username, self.password = username, password
        self.messages: list[Received] = []
        self._defer = 0
        self.outage: str | None = None
        self.host = "127.0.0.1"
        self.port = _free_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        kwargs: dict[str, Any] = {}
        if tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        elif tls == "implicit":
            kwargs.update(ssl_context=context)
        if username is not None:
            kwargs.update(
                authenticator=self._authenticate,
                # aiosmtpd counts only STARTTLS as TLS, and warns when AUTH is required without
                # it; with implicit TLS every byte is encrypted anyway, and a message sent
                # without a login is recorded with login None for the test to see.
                auth_required=tls == "starttls",
                auth_require_tls=tls == "starttls",
            )
        self._kwargs = kwargs
        self.controller = self._controller()

    def _controller(self) -> Controller:
        return Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="localhost",
            **self._kwargs,
        )

    def defer(self, times: int = 1) -> None:
        self._defer = times

    def go_down(self, how: str) -> None:
        assert how in OUTAGES and how != "late", f"one of {OUTAGES} but late"
        self.outage = how
        if how == "refused":
            self.controller.stop()

    def recover(self) -> None:
        refused = self.outage == "refused"
        self.outage = None
        if refused:  # a stopped controller's loop is closed: a new one, on the same port
            self.controller = self._controller()
            self.controller.start()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)

    def __enter__(self) -> FakeSMTP:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.outage != "refused":  # else stopped already
            self.controller.stop()
