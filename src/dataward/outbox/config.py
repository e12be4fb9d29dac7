"""Mail and worker settings (``DATAWARD_`` prefix, like every other setting).

Kept apart from ``dataward.config`` so the mail edge can grow without touching the core.

No real mail by default (issue 14, item 9): unless SMTP is configured, a server on this
machine's loopback writes each message as an ``.eml`` file into the local data folder, and a
server anywhere else refuses to start rather than lose or misroute mail.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dataward.config import local_url
from dataward.errors import ConfigurationError


class MailSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATAWARD_", env_file=".env", extra="ignore")

    mail_sender: Literal["auto", "smtp", "eml"] = Field(
        default="auto",
        description="auto: SMTP when DATAWARD_SMTP_HOST is set; otherwise .eml files in "
        "DATAWARD_EML_DIR for a server on loopback, and `serve` refuses to start anywhere "
        "else. smtp, or eml (files for local use only: they hold personal data).",
    )
    mail_from: str = Field(
        default="privacy@localhost",
        description="Envelope and From address; the display name is the organisation's name.",
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls refuses a server that does not offer it; none is for localhost.",
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 30.0
    smtp_ca_file: Path | None = Field(
        default=None, description="CA bundle for a server with a private certificate."
    )
    eml_dir: Path | None = Field(
        default=None,
        description="Folder of .eml files (mode 0600); unset: outbox-mail in the local data "
        "folder (var/outbox-mail).",
    )
    var_dir: Path = Field(
        default=Path("var"),
        description="The local data folder (DATAWARD_VAR_DIR, read here too).",
    )
    host: str = Field(
        default="127.0.0.1",
        description="The server's interface (DATAWARD_HOST, read here too): without SMTP "
        "settings, mail becomes files only on loopback.",
    )
    public_url: str = Field(
        default="",
        description="Base URL of this dataward, for links to the notice in messages; "
        "unset: http://127.0.0.1:<port>, the port the server runs on.",
    )
    port: int = Field(
        default=8000,
        description="The server's port (DATAWARD_PORT, read here too), which an unset "
        "public URL follows.",
    )
    mail_templates_dir: Path | None = Field(
        default=None, description="Folder whose templates override the built-in ones."
    )
    worker_batch: int = Field(default=20, ge=1, le=1000)
    worker_lease_seconds: float = Field(default=300.0, gt=0)
    worker_idle_seconds: float = Field(default=1.0, gt=0)
    job_max_attempts: int = Field(default=8, ge=1, le=100)
    campaign_batch: int = Field(default=500, ge=1, le=10_000)

    _public_url_given: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _follow_the_port(self) -> MailSettings:
        if self.eml_dir is None:
            self.eml_dir = self.var_dir / "outbox-mail"
        # A fixed default would send readers of a server on another port to a dead link.
        if self.public_url:
            self._public_url_given = True
        else:
            self.public_url = local_url(self.port)
        return self

    def for_port(self, port: int) -> MailSettings:
        """These settings for a server on ``port`` (``serve --port``): an unset public URL
        follows it, a public URL that was set stays."""
        if self._public_url_given:
            return self.model_copy(update={"port": port})
        return self.model_copy(update={"port": port, "public_url": local_url(port)})

    def for_host(self, host: str) -> MailSettings:
        """These settings for a server on ``host`` (``serve --host``)."""
        return self.model_copy(update={"host": host})

    @property
    def eml_folder(self) -> Path:
        return self.eml_dir if self.eml_dir is not None else self.var_dir / "outbox-mail"

    def delivery(self) -> Literal["smtp", "eml"]:
        """How messages leave: the sender named, or for ``auto`` SMTP when its host is set,
        files on loopback, and a ``ConfigurationError`` anywhere else."""
        if self.mail_sender != "auto":
            return self.mail_sender
        if "smtp_host" in self.model_fields_set:
            return "smtp"
        if is_loopback(self.host):
            return "eml"
        raise ConfigurationError(
            f"no mail server is set and this server listens on {self.host}, beyond this "
            "machine: set DATAWARD_SMTP_HOST (with DATAWARD_SMTP_USERNAME and "
            "DATAWARD_SMTP_PASSWORD as needed); only on 127.0.0.1 are messages written to "
            ".eml files instead"
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_mail_delivery(host: str) -> str:
    """For ``serve``: refuse to start (``ConfigurationError``, exit 2) on an interface beyond
    this machine without SMTP settings; otherwise a line for the start-up banner saying
    where messages go."""
    mail = get_mail_settings().for_host(host)
    if mail.delivery() == "smtp":
        return f"Mail: sent through the SMTP server {mail.smtp_host}:{mail.smtp_port}."
    return (
        f"Mail: no SMTP server is set, so nothing is sent: each message is written to "
        f"{mail.eml_folder}/ as an .eml file (readable only by you; it holds personal data)."
    )


@lru_cache(maxsize=1)
def get_mail_settings() -> MailSettings:
    return MailSettings()
