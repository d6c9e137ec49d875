"""Handing emails to the mail server (standard library smtplib): one connection per run, one
message per recipient, each with a plain-text and an HTML part."""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from core.errors import DomainError
from core.i18n import _
from core.performance.digests.rendering import RenderedEmail
from core.performance.digests.settings import SmtpSettings

TIMEOUT_SECONDS = 30


class MailServerUnavailable(DomainError):
    """The mail server could not be reached or refused to take a message."""


def message(
    settings: SmtpSettings, to_name: str, to_address: str, email: RenderedEmail
) -> EmailMessage:
    """A multipart/alternative message: the text part first, the HTML part preferred."""
    msg = EmailMessage()
    msg["Subject"] = email.subject
    msg["From"] = settings.sender
    msg["To"] = formataddr((to_name, to_address))
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


class Mailer:
    """A connection to the mail server, opened at the first message and closed at the end."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
            if s.starttls:
                smtp.starttls()
            if s.user:
                smtp.login(s.user, s.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise MailServerUnavailable(
                _("The mail server {host}:{port} cannot be reached: {reason}").format(
                    host=s.host, port=s.port, reason=exc
                )
            ) from None
        return smtp

    def send(self, to_name: str, to_address: str, email: RenderedEmail) -> None:
        """Returns once the server accepted the message; raises MailServerUnavailable else."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(message(self.settings, to_name, to_address, email))
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise MailServerUnavailable(
                _(
                    "The mail server {host}:{port} did not take the message to {address}: {reason}"
                ).format(
                    host=self.settings.host, port=self.settings.port, address=to_address, reason=exc
                )
            ) from None
        if refused:
            raise MailServerUnavailable(
                _("The mail server refused the message to {address}.").format(address=to_address)
            )

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None
