"""Mail and worker settings (``DATAWARD_`` prefix, like every other setting).

Kept apart from ``dataward.config`` so the mail edge can grow without touching the core.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dataward.config import local_url


class MailSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATAWARD_", env_file=".env", extra="ignore")

    mail_sender: Literal["smtp", "eml"] = Field(
        default="smtp",
        description="smtp, or eml: a folder of .eml files for local demos only (plain text!).",
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
    eml_dir: Path = Path("var/mail")
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


@lru_cache(maxsize=1)
def get_mail_settings() -> MailSettings:
    return MailSettings()
