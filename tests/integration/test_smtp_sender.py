"""The SMTP sender against a real aiosmtpd server: STARTTLS, login, refusals."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from outbox_support import Inbox, free_port, mail_settings, self_signed, smtp_server

from dataward.outbox.errors import DeliveryDeferred, RecipientInvalid
from dataward.outbox.senders import SmtpSender, check_address


def _message(to: str = "jane@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "privacy@acme.example"
    message["To"] = to
    message["Subject"] = "Hello"
    message["Message-ID"] = "<fixed-1@acme.example>"
    message.set_content("Body")
    return message


def test_it_sends_over_starttls_with_a_login(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    inbox = Inbox()
    with smtp_server(inbox, tls=(cert, key), login=("dataward", "s3cret")) as port:
        sender = SmtpSender(
            mail_settings(
                port,
                smtp_host="localhost",
                smtp_security="starttls",
                smtp_ca_file=cert,
                smtp_username="dataward",
                smtp_password="s3cret",
            )
        )
        sender.send(_message())
        sender.send(_message("john@example.com"))  # the same connection, reused
        sender.close()
    assert [m["To"] for m in inbox.messages] == ["jane@example.com", "john@example.com"]


def test_a_wrong_password_defers_rather_than_loses(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    inbox = Inbox()
    with smtp_server(inbox, tls=(cert, key), login=("dataward", "s3cret")) as port:
        sender = SmtpSender(
            mail_settings(
                port,
                smtp_host="localhost",
                smtp_security="starttls",
                smtp_ca_file=cert,
                smtp_username="dataward",
                smtp_password="wrong",
            )
        )
        with pytest.raises(DeliveryDeferred) as caught:
            sender.send(_message())
    assert inbox.messages == []
    assert "wrong" not in caught.value.message


def test_it_will_not_fall_back_to_plain_text_when_starttls_is_missing() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        sender = SmtpSender(mail_settings(port, smtp_security="starttls"))
        with pytest.raises(DeliveryDeferred, match="does not offer STARTTLS"):
            sender.send(_message())
    assert inbox.messages == []


def test_an_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    inbox = Inbox()
    with smtp_server(inbox, tls=(cert, key)) as port:
        sender = SmtpSender(mail_settings(port, smtp_host="localhost", smtp_security="starttls"))
        with pytest.raises(DeliveryDeferred, match="unavailable"):
            sender.send(_message())
    assert inbox.messages == []


def test_a_server_that_is_down_defers() -> None:
    sender = SmtpSender(mail_settings(free_port()))
    with pytest.raises(DeliveryDeferred, match="SMTP server unavailable"):
        sender.send(_message())


@pytest.mark.parametrize(
    "address",
    [
        "jane..doe@example.com",
        ".jane@example.com",
        "jane@-example.com",
        "jane@example",
        "x" * 65 + "@example.com",
        "jane@" + "a" * 64 + ".com",
        "no-at-sign",
    ],
)
def test_strict_address_check_refuses(address: str) -> None:
    with pytest.raises(RecipientInvalid) as caught:
        check_address(address)
    assert address not in caught.value.message


def test_strict_address_check_accepts_ordinary_addresses() -> None:
    assert check_address("jane.o'neil+news@mail.example.co.uk") == (
        "jane.o'neil+news@mail.example.co.uk"
    )
