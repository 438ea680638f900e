"""Alerts by e-mail through an SMTP server, over STARTTLS or implicit TLS (``smtplib``).

The server's certificate is verified, against the system's CAs or ``ca_file``. A temporary
refusal (4xx) is retried a minute later; a refused login or an untrusted certificate is
reported as what to fix.
"""

from __future__ import annotations

import base64
import logging
import re
import smtplib
import ssl
from collections.abc import Mapping
from datetime import tzinfo
from email.message import EmailMessage
from email.utils import formatdate

from yujing import config as cfg

from ..notification import Notification, ReportMail
from ..render import PLAIN, SHANGHAI, notification_view, template_for
from . import ReceiverContext, Refused, RetryLater, delivery_id

__all__ = ["EmailReceiver"]

log = logging.getLogger("yujing.notifier")

TIMEOUT = 30.0
TEMPORARY_WAIT = 60.0


class EmailReceiver:
    def __init__(
        self,
        conf: cfg.EmailReceiver,
        *,
        tz: tzinfo = SHANGHAI,
        names: Mapping[str, str] | None = None,
        timeout: float = TIMEOUT,
    ):
        self.conf = conf
        self.tz = tz
        self.names = dict(names or {})
        self.timeout = timeout
        self.template = template_for(conf, "text.txt.j2", PLAIN)
        self.what = f"email receiver {conf.name!r}"

    @classmethod
    def from_config(cls, conf: cfg.EmailReceiver, context: ReceiverContext) -> EmailReceiver:
        return cls(conf, tz=context.tz, names=context.names)

    def message(self, notification: Notification) -> EmailMessage:
        f = notification_view(notification, tz=self.tz, names=self.names).fields()
        msg = EmailMessage()
        # A header is one line: a newline in it would start another header.
        msg["Subject"] = " ".join(str(f["title"]).split())
        msg["From"] = self.conf.sender
        msg["To"] = ", ".join(self.conf.to)
        msg["Date"] = formatdate()
        # One Message-ID per notification, the same on every try: a resend is recognisably a copy.
        msg["Message-ID"] = f"<{delivery_id(notification)}@yujing>"
        msg.set_content(self.template.render(f) + "\n", charset="utf-8")
        return msg

    def _tls(self) -> ssl.SSLContext:
        ca = str(self.conf.ca_file) if self.conf.ca_file else None
        return ssl.create_default_context(cafile=ca)

    def _connect(self) -> smtplib.SMTP:
        host, port = self.conf.host, self.conf.smtp_port
        if self.conf.tls == "implicit":
            return smtplib.SMTP_SSL(host, port, timeout=self.timeout, context=self._tls())
        smtp = smtplib.SMTP(host, port, timeout=self.timeout)
        if self.conf.tls == "starttls":
            try:
                smtp.starttls(context=self._tls())
            except smtplib.SMTPNotSupportedError:
                smtp.close()
                raise Refused(
                    f"{self.what}: the server offers no STARTTLS; set tls: implicit (port 465) "
                    "if it speaks TLS from the start"
                ) from None
            except BaseException:
                smtp.close()
                raise
        return smtp

    def report_message(self, mail: ReportMail) -> EmailMessage:
        """The report as a mail: the summary as text, the HTML beside it with its charts as
        inline parts (mail clients show cid: images, not data: ones), the PDF attached."""
        msg = EmailMessage()
        msg["Subject"] = " ".join(mail.title.split())
        msg["From"] = self.conf.sender
        msg["To"] = ", ".join(self.conf.to)
        msg["Date"] = formatdate()
        msg["Message-ID"] = f"<{mail.key}@yujing>"
        msg.set_content(mail.summary + "\n", charset="utf-8")
        images: list[bytes] = []

        def inline(match: re.Match[str]) -> str:
            images.append(base64.b64decode(match[1]))
            return f'src="cid:chart{len(images)}@yujing"'

        html = _DATA_PNG.sub(inline, mail.html)
        msg.add_alternative(html, subtype="html", charset="utf-8")
        html_part = msg.get_payload()[1]
        for i, png in enumerate(images, start=1):
            html_part.add_related(png, maintype="image", subtype="png", cid=f"<chart{i}@yujing>")
        msg.add_attachment(mail.pdf, maintype="application", subtype="pdf", filename=mail.pdf_name)
        return msg

    def send_report(self, mail: ReportMail) -> None:
        self._deliver(self.report_message(mail))

    def send(self, notification: Notification) -> None:
        self._deliver(self.message(notification))

    def _deliver(self, msg: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.conf.username:
                    smtp.login(self.conf.username, self.conf.password or "")
                refused = smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise Refused(
                f"{self.what}: the server refused the login ({exc.smtp_code}); check username "
                "and the password (SMTP_PASSWORD)"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise Refused(f"{self.what}: {exc}; check host, port, tls and username") from None
        except smtplib.SMTPRecipientsRefused as exc:
            self._refused(exc.recipients)
            raise  # not reached: _refused raises
        except smtplib.SMTPResponseException as exc:
            text = _text(exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                raise RetryLater(
                    f"{self.what}: the server said try later ({exc.smtp_code} {text})",
                    TEMPORARY_WAIT,
                ) from None
            raise RuntimeError(f"{self.what}: SMTP {exc.smtp_code} {text}") from None
        except ssl.SSLCertVerificationError as exc:
            raise Refused(
                f"{self.what}: the server's certificate is not trusted ({exc.verify_message}); "
                "set ca_file to the CA that signed it"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionError(
                f"{self.what}: SMTP failed: {type(exc).__name__}: {exc}"
            ) from None
        if refused:
            # Some addresses were taken, some not: resending would repeat it to the others.
            log.warning("%s: recipients refused: %s", self.what, ", ".join(sorted(refused)))

    def _refused(self, recipients: dict[str, tuple[int, bytes]]) -> None:
        codes = {code for code, _ in recipients.values()}
        detail = "; ".join(f"{a}: {c} {_text(m)}" for a, (c, m) in sorted(recipients.items()))
        if all(400 <= c < 500 for c in codes):
            raise RetryLater(f"{self.what}: recipients deferred ({detail})", TEMPORARY_WAIT)
        raise Refused(f"{self.what}: every recipient was refused ({detail}); check 'to'")


_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:200]
