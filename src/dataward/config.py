"""Settings from the environment (``DATAWARD_`` prefix) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATAWARD_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/dataward.db",
        description="SQLAlchemy URL of dataward's own database.",
    )
    examples_dir: Path = Field(
        default=Path("examples"), description="Registers loaded by `make run`."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    log_format: str = Field(default="auto", description="auto, json or console")
    log_level: str = "info"
    register_max_bytes: int = Field(
        default=10 * 1024 * 1024, description="Size cap of a register file."
    )
    register_max_nodes: int = Field(default=200_000, description="Node cap, against alias bombs.")
    batch_body_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1,
        description="Largest body of a batch of decisions read before answering (held in "
        "memory, never on disk); a client asking for stream=true has no cap.",
    )
    trust_proxy: bool = Field(
        default=False,
        description="Believe X-Forwarded-Proto from the reverse proxy in front (HSTS is "
        "sent on https); only when nothing else can reach the server.",
    )
    var_dir: Path = Field(
        default=Path("var"), description="Local state of `make run`: keys file, demo agency."
    )
    demo_subjects: int = Field(
        default=2000,
        ge=0,
        le=100_000,
        description="People in the demo agency `dataward serve` creates on first start (0: none).",
    )
    demo_operational_url: str | None = Field(
        default=None,
        description="The demo agency's database, named by its sources file (url_from); "
        "unset: demo-operational.db in var_dir.",
    )
    demo_files_dir: Path | None = Field(
        default=None,
        description="The demo agency's recordings and evidence files; unset: demo-files in "
        "var_dir.",
    )
    keystore_url: str = Field(
        default="sqlite:///var/keys.db",
        description="The key store: a database of its own, never backed up with the main one.",
    )
    kek: SecretStr | None = Field(default=None, description="Key-encryption key, base64 32 bytes.")
    kek_id: str = Field(default="kek-1", description="Name of the KEK, stored with each data key.")
    blind_index_key: SecretStr | None = Field(
        default=None, description="HMAC key of the blind index, base64 32 bytes."
    )
    # Accounts and the web edge (docs/accounts.md).
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs preference links and the login form; random per process if unset.",
    )
    cookie_secure: bool = Field(
        default=True, description="Secure cookies; `dataward serve` on 127.0.0.1 turns it off."
    )
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    login_max_failures: int = Field(default=5, ge=1, description="Failures before a lockout.")
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_attempts_per_client: int = Field(
        default=20, ge=1, description="Sign-in attempts per client per lockout period."
    )
    totp_required_roles: list[str] = Field(
        default_factory=list, description='Roles that must use TOTP, e.g. ["admin","dpo"].'
    )
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    preferences_link_days: int = Field(default=14, ge=1, le=90)
    portal_requests_per_client: int = Field(
        default=5,
        ge=0,
        description="Rights requests one client may send through the portal form per hour "
        "(0: no limit).",
    )
    token_max_days: int = Field(default=365, ge=1)
    # Accepted token uses are written to the audit chain as one event per token and route
    # per window (appending on every call would serialise the API on the chain's lock);
    # a process killed with SIGKILL loses at most one window of counts.
    # An accepted API token is remembered this long, so busy clients skip the lookup; a
    # token revoked by another process (the CLI) still works here for at most this long.
    token_check_cache_seconds: int = Field(
        default=5,
        ge=0,
        description="Seconds an accepted API token is remembered by a server process "
        "(0: every call looks the token up).",
    )
    token_use_window_seconds: int = Field(
        default=10,
        ge=0,
        description="Seconds of accepted API token uses rolled into one audit event per "
        "token and route (0: each use is its own event, written at once).",
    )
    # Bodies are capped per route and read only after the caller is authorised (docs/api.md).
    api_body_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body the JSON API reads (the decision batch has its own).",
    )
    # Refused requests are rolled up per client like accepted token uses, so a flood of
    # them cannot fill the audit chain, whose rows can never be erased (docs/accounts.md).
    refusal_window_seconds: int = Field(
        default=60,
        ge=0,
        description="Seconds of refusals per client rolled into one audit event per kind "
        "(0: each refusal is its own event, written at once, and no client is throttled).",
    )
    refusals_per_client: int = Field(
        default=100,
        ge=0,
        description="Refusals one client may earn per refusal window before it is answered "
        "429 with no database work (0: never throttled).",
    )

    # Signed audit heads (docs/audit.md, "Signed heads"): the key never sits in the database.
    audit_head_key: SecretStr | None = Field(
        default=None,
        description="Ed25519 seed (base64, 32 bytes) that signs audit heads "
        "(`dataward keys audit-head`); never kept in the database or its backups.",
    )
    audit_head_public_key: str | None = Field(
        default=None,
        description="Public key (base64) `dataward audit verify --heads` checks heads with; "
        "unset: derived from DATAWARD_AUDIT_HEAD_KEY.",
    )
    audit_head_file: Path | None = Field(
        default=None, description="File each signed head is appended to as a JSON line (0600)."
    )
    audit_head_url: str | None = Field(
        default=None, description="URL each signed head is POSTed to as JSON."
    )
    audit_head_email: str | None = Field(
        default=None, description="Address each signed head is emailed to, through the outbox."
    )
    audit_head_minutes: int = Field(
        default=60,
        ge=1,
        le=7 * 24 * 60,
        description="Minutes between the signed heads the workers write.",
    )
    # Reminders about request deadlines and the DPO's digest (docs/requests.md).
    request_reminder_days: str = Field(
        default="7,1",
        description="Days before a due date the assignee is reminded (comma-separated, "
        "calendar days); an overdue request is reminded once as well.",
    )
    request_reminder_hour: int = Field(
        default=7,
        ge=0,
        le=23,
        description="Hour (UK time) from which the workers send each day's reminders and digests.",
    )

    # The daily retention run (docs/retention.md, "Running").
    retention_enabled: bool = Field(
        default=True,
        description="Whether the workers run every organisation's retention rules daily.",
    )
    retention_hour: int = Field(
        default=2,
        ge=0,
        le=23,
        description="Hour (UK time) from which the workers start each day's retention run.",
    )

    # Identity verification of rights requests (docs/requests.md, "Proving identity").
    request_code_minutes: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        description="Minutes a one-time code emailed to a requester works.",
    )
    request_document_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="Largest ID document a caseworker may upload for a request.",
    )
    # Access packages (docs/access.md).
    access_packages_dir: Path | None = Field(
        default=None,
        description="Where access packages are staged and kept, sealed under each subject's "
        "key; unset: packages in var_dir.",
    )
    access_package_keep_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days a finished access package can be downloaded; then it is deleted.",
    )
    # dataward's own data (docs/retention.md, "dataward's own data"): how long each kind is
    # kept once it is no longer in use. Checked by ``retention.own.own_periods`` (not by
    # ``ge=1`` here) so a bad value is one line, ``error [configuration_invalid]``.
    own_closed_request_years: int = Field(
        default=6,
        description="Years a finished rights request's case record stays readable after "
        "its last step; then the request's key is destroyed (crypto-shredding).",
    )
    own_access_package_days: int = Field(
        default=30,
        description="Days after a request finished that its access packages' files are "
        "deleted (never while a download link is live).",
    )
    own_identity_document_days: int = Field(
        default=7,
        description="Days an unchecked ID document is kept after identity was decided "
        "another way or the request finished.",
    )
    own_outbox_body_days: int = Field(
        default=90,
        description="Days a sent (or cancelled) message's sealed body is kept; the envelope "
        "row stays.",
    )
    own_cookie_consent_months: int = Field(
        default=24,
        description="Months a cookie banner choice is kept after it was replaced, or given "
        "when it is the visitor's latest.",
    )
    own_expired_credential_days: int = Field(
        default=30,
        description="Days sessions, API tokens and one-time codes are kept after they "
        "expired, were revoked or used.",
    )
    request_identity_default: Literal["none", "email", "knowledge", "document"] = Field(
        default="email",
        description="Proof of identity needed to answer access, rectification, erasure, "
        "restriction and portability where the register states none; never shown in a notice.",
    )


def local_url(port: int) -> str:
    """Where a server on this machine's ``port`` is reached: the default public URL."""
    return f"http://127.0.0.1:{port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
