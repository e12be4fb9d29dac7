"""Settings from the environment (``DATAWARD_`` prefix) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
