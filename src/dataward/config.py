"""Settings from the environment (``DATAWARD_`` prefix) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    keystore_url: str = Field(
        default="sqlite:///var/keys.db",
        description="The key store: a database of its own, never backed up with the main one.",
    )
    kek: SecretStr | None = Field(default=None, description="Key-encryption key, base64 32 bytes.")
    kek_id: str = Field(default="kek-1", description="Name of the KEK, stored with each data key.")
    blind_index_key: SecretStr | None = Field(
        default=None, description="HMAC key of the blind index, base64 32 bytes."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
