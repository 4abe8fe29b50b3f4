"""Settings read from the environment (prefix EXPO_), one class for every service.

A service's own database URL comes from EXPO_<SERVICE>_DATABASE_URL and defaults to a
SQLite file under the var directory, so a fresh checkout runs with nothing configured.
"""

import math
import os
import re
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
MAKE_A_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 96
# Words of the placeholders people leave in examples and templates.
PLACEHOLDER = re.compile(r"change.?me|placeholder|example|default|secret|password|xxxx", re.I)


class MissingSecret(RuntimeError):
    pass


def estimated_bits(value: str) -> float:
    """The value's length times the Shannon entropy of its own characters: 'aaaa...' and
    'abababab...' score low, a random token high. A guard against the obvious, not a proof."""
    counts = Counter(value)
    per_character = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_character * len(value)


def secret_problem(value: str) -> str | None:
    """Why `value` cannot be a secret, or None."""
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if PLACEHOLDER.search(value):
        return "looks like a placeholder (it contains a word such as CHANGE_ME or secret)"
    if estimated_bits(value) < MIN_SECRET_BITS:
        return "is too predictable (too few different characters)"
    return None


class Settings(BaseSettings):
    # Errors never repeat the values: a refused secret must not end up in a log.
    model_config = SettingsConfigDict(env_prefix="EXPO_", extra="ignore", hide_input_in_errors=True)

    env: Literal["development", "test", "production"] = "development"
    edition_file: Path = REPO_ROOT / "deploy" / "editions" / "pingliang-2020.toml"
    var_dir: Path = REPO_ROOT / "var"
    nats_url: str = "nats://127.0.0.1:4222"
    # Signs and verifies bearer tokens. No default: a service refuses to start without one.
    auth_secret: str | None = Field(default=None, repr=False)
    # The secret being replaced, still accepted for tokens it signed during a rotation.
    auth_previous_secret: str | None = Field(default=None, repr=False)
    # How long graceful shutdown may wait for in-flight messages and requests.
    shutdown_timeout: float = 10.0
    # Copies JetStream keeps of each stream: 1 on one server, 3 on a three-node cluster. A
    # service start raises an existing stream to it, never lowers one.
    stream_replicas: int = Field(default=1, ge=1, le=5)
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

    @field_validator("auth_secret", "auth_previous_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return None if value == "" else value

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> "Settings":
        if self.env == "production" and self.rehearsal:
            raise ValueError("EXPO_REHEARSAL cannot be on in production: the clock is real time")
        for name, value in (
            ("EXPO_AUTH_SECRET", self.auth_secret),
            ("EXPO_AUTH_PREVIOUS_SECRET", self.auth_previous_secret),
        ):
            problem = value is not None and secret_problem(value)
            if problem:
                raise ValueError(f"{name} {problem}; make one with: {MAKE_A_SECRET}")
        return self

    @property
    def token_keys(self):  # -> shared.auth.TokenKeys
        """The keys tokens are signed and verified with; MissingSecret when none is set."""
        from shared.auth import TokenKeys

        if not self.auth_secret:
            raise MissingSecret(
                f"EXPO_AUTH_SECRET is not set: it signs and verifies every token. "
                f"Make one with: {MAKE_A_SECRET}"
            )
        return TokenKeys(self.auth_secret, self.auth_previous_secret)

    def database_url(self, service: str) -> str:
        explicit = os.environ.get(f"EXPO_{service.upper()}_DATABASE_URL")
        if explicit:
            return explicit
        return f"sqlite+aiosqlite:///{self.var_dir / f'{service}.db'}"

    @cached_property
    def edition(self):  # -> Edition; imported lazily to keep settings import-light
        from shared.edition import load_edition

        return load_edition(self.edition_file)
