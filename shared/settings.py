"""Settings read from the environment (prefix EXPO_), one class for every service.

A service's own database URL comes from EXPO_<SERVICE>_DATABASE_URL and defaults to a
SQLite file under the var directory, so a fresh checkout runs with nothing configured.
"""

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DEV_AUTH_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXPO_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    edition_file: Path = REPO_ROOT / "deploy" / "editions" / "pingliang-2020.toml"
    var_dir: Path = REPO_ROOT / "var"
    nats_url: str = "nats://127.0.0.1:4222"
    auth_secret: str = DEV_AUTH_SECRET
    # How long graceful shutdown may wait for in-flight messages and requests.
    shutdown_timeout: float = 10.0
    outbox_poll_interval: float = 0.5
    outbox_batch_size: int = 200
    # Shifts business time by whole days (0 in production); `make run` sets it for the demo.
    clock_offset_days: int = 0
    # How often background work (embargoes, push retries) looks for what is due.
    background_poll_interval: float = 1.0
    consumer_max_deliver: int = 5
    # How long a delivered, unacked message waits before redelivery (e.g. after a crash).
    consumer_ack_wait: float = 30.0
    log_level: str = "INFO"
    # `expo run` enters the edition's demo preparation (<edition>.demo.toml) in development.
    demo: bool = True
    # A rehearsal: the committee may move reporting's clock (PUT /api/v1/clock), and what the
    # scheduler then says goes into the permanent event log. Never in production; `expo run`
    # turns it on for its development stack.
    rehearsal: bool = False

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        if self.env == "production" and self.rehearsal:
            raise ValueError("EXPO_REHEARSAL cannot be on in production: the clock is real time")
        if self.env == "production" and self.auth_secret == DEV_AUTH_SECRET:
            raise ValueError("EXPO_AUTH_SECRET must be set to a real secret in production")
        if len(self.auth_secret) < 16:
            raise ValueError("EXPO_AUTH_SECRET must be at least 16 characters")
        return self

    def database_url(self, service: str) -> str:
        explicit = os.environ.get(f"EXPO_{service.upper()}_DATABASE_URL")
        if explicit:
            return explicit
        return f"sqlite+aiosqlite:///{self.var_dir / f'{service}.db'}"

    @cached_property
    def edition(self):  # -> Edition; imported lazily to keep settings import-light
        from shared.edition import load_edition

        return load_edition(self.edition_file)
