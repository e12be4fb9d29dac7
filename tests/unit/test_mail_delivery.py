"""Issue 14, item 9: no real mail by default. Without SMTP settings a server on loopback
writes .eml files (0600, in a 0700 folder) into the local data folder; anywhere else it
refuses to start."""

from __future__ import annotations

import stat
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from dataward.errors import ConfigurationError
from dataward.outbox.config import MailSettings, check_mail_delivery, get_mail_settings
from dataward.outbox.senders import FileSender, SmtpSender, make_sender


def _mail(**values: Any) -> MailSettings:
    return MailSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_it_writes_files_on_loopback_without_smtp_settings(host: str, tmp_path: Path) -> None:
    mail = _mail(host=host, var_dir=tmp_path)
    assert mail.delivery() == "eml"
    sender = make_sender(mail)
    assert isinstance(sender, FileSender)
    assert sender.folder == tmp_path / "outbox-mail"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "dataward.example.org"])
def test_it_refuses_anywhere_else_without_smtp_settings(host: str) -> None:
    with pytest.raises(ConfigurationError, match="DATAWARD_SMTP_HOST"):
        _mail(host=host).delivery()
    with pytest.raises(ConfigurationError):
        make_sender(_mail(host=host))


def test_smtp_settings_or_an_explicit_sender_decide() -> None:
    assert _mail(host="0.0.0.0", smtp_host="mail.example.org").delivery() == "smtp"
    assert isinstance(make_sender(_mail(host="0.0.0.0", smtp_host="mx")), SmtpSender)
    assert _mail(host="127.0.0.1", smtp_host="127.0.0.1").delivery() == "smtp"
    assert _mail(host="0.0.0.0", mail_sender="smtp").delivery() == "smtp"
    assert _mail(host="127.0.0.1", mail_sender="eml").delivery() == "eml"


def test_the_file_sender_keeps_messages_readable_by_their_owner_alone(tmp_path: Path) -> None:
    folder = tmp_path / "outbox-mail"
    message = EmailMessage()
    message["Message-ID"] = "<abc-123@example.org>"
    message["To"] = "jane@example.com"
    message["Subject"] = "Our privacy notice changed"
    message.set_content("We now keep call recordings for 90 days.")
    sender = FileSender(folder)
    sender.send(message)
    sender.send(message)  # a resend replaces the file
    [written] = folder.iterdir()
    assert written.name == "abc-123_example.org.eml"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert "90 days" in written.read_text(encoding="utf-8")


def test_serve_says_where_mail_goes_or_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATAWARD_SMTP_HOST", "DATAWARD_MAIL_SENDER", "DATAWARD_EML_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATAWARD_VAR_DIR", "var")
    get_mail_settings.cache_clear()
    try:
        note = check_mail_delivery("127.0.0.1")
        assert "nothing is sent" in note
        assert "var/outbox-mail/" in note
        with pytest.raises(ConfigurationError, match=r"listens on 0\.0\.0\.0"):
            check_mail_delivery("0.0.0.0")
        monkeypatch.setenv("DATAWARD_SMTP_HOST", "mail.example.org")
        get_mail_settings.cache_clear()
        assert "mail.example.org:25" in check_mail_delivery("0.0.0.0")
    finally:
        get_mail_settings.cache_clear()
