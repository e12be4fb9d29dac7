"""Senders: SMTP for real use, a folder of ``.eml`` files for local use only (what
``make run`` does without SMTP settings: no real mail by default, issue 14 item 9).

Errors are sorted into two kinds for the worker: a refusal that will never change (a
malformed or unknown address) parks the message at once; anything else (server down,
timeout, a 4xx reply, a login refused) is retried with backoff, so nothing is lost while
the server is away.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Protocol

from dataward.outbox.config import MailSettings
from dataward.outbox.errors import DeliveryDeferred, DeliveryRefused, RecipientInvalid


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def check_address(value: str) -> str:
    """Stricter than intake: RFC 5321 lengths and dot rules that a mail server enforces.

    The reason never repeats the address (it is personal data).
    """
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise RecipientInvalid("recipient address is malformed: it needs local@domain")
    if len(value) > 254 or len(local) > 64:
        raise RecipientInvalid("recipient address is malformed: it is too long")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise RecipientInvalid("recipient address is malformed: misplaced dot before the @")
    labels = domain.split(".")
    if len(labels) < 2 or any(
        not label or len(label) > 63 or label.startswith("-") or label.endswith("-")
        for label in labels
    ):
        raise RecipientInvalid("recipient address is malformed: the domain is not valid")
    try:
        Address(addr_spec=value)
    except (ValueError, IndexError):
        raise RecipientInvalid("recipient address is malformed") from None
    return value


class SmtpSender:
    """One connection, opened on first use and kept for the next message."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def _tls_context(self) -> ssl.SSLContext:
        ca = self.settings.smtp_ca_file
        return ssl.create_default_context(cafile=str(ca) if ca else None)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP
        if s.smtp_security == "tls":
            conn = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=self._tls_context()
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            conn.ehlo()
            if s.smtp_security == "starttls":
                if not conn.has_extn("starttls"):
                    raise DeliveryDeferred(
                        "the SMTP server does not offer STARTTLS; set DATAWARD_SMTP_SECURITY "
                        "only to none for a server on this machine"
                    )
                conn.starttls(context=self._tls_context())
                conn.ehlo()
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                conn.login(s.smtp_username, password)
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, message: EmailMessage) -> None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            self._conn.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, _ = next(iter(exc.recipients.values()))
            if code >= 500:
                raise DeliveryRefused(f"the mail server refused the recipient ({code})") from None
            raise DeliveryDeferred(f"the mail server deferred the recipient ({code})") from None
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code >= 500:
                raise DeliveryRefused(
                    f"the mail server refused the message ({exc.smtp_code})"
                ) from None
            self.close()
            raise DeliveryDeferred(
                f"the mail server deferred the message ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise DeliveryDeferred(f"SMTP login refused ({exc.smtp_code})") from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise DeliveryDeferred(f"SMTP error {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryDeferred(f"SMTP server unavailable: {type(exc).__name__}") from None
        except DeliveryDeferred:
            self.close()
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()


class FileSender:
    """Writes each message as an ``.eml`` file. For local use only: the files hold names,
    addresses and message bodies unencrypted, so the folder is 0700 and each file 0600."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        message_id = str(message["Message-ID"]).strip("<>")
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in message_id) + ".eml"
        # Write then rename: a reader never sees half a message; a resend overwrites.
        # mkstemp makes the file 0600 before a byte is written.
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(message.as_bytes(policy=SMTP_POLICY))
        os.replace(tmp, self.folder / name)

    def close(self) -> None:
        return None


def make_sender(settings: MailSettings) -> Sender:
    """The sender ``settings.delivery()`` names (a ``ConfigurationError`` when none fits)."""
    if settings.delivery() == "eml":
        return FileSender(settings.eml_folder)
    return SmtpSender(settings)
