"""Settings come from EXPO_* variables; production refuses the development secret."""

import secrets
import subprocess
import sys

import pytest
from pydantic import ValidationError

from shared.settings import MissingSecret, Settings


def test_settings_read_the_expo_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("EXPO_NATS_URL", "nats://10.0.0.5:4222")
    monkeypatch.setenv("EXPO_VAR_DIR", str(tmp_path))
    settings = Settings()
    assert settings.nats_url == "nats://10.0.0.5:4222"
    assert settings.database_url("signings") == f"sqlite+aiosqlite:///{tmp_path / 'signings.db'}"


def test_a_service_database_url_can_point_elsewhere(monkeypatch):
    monkeypatch.setenv("EXPO_SIGNINGS_DATABASE_URL", "postgresql+asyncpg://db/expo_signings")
    assert Settings().database_url("signings") == "postgresql+asyncpg://db/expo_signings"


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("short-but-random-Zq8", "shorter than 32 characters"),
        ("CHANGE_ME_auth_secret_0123456789abcdef", "placeholder"),  # deploy/.env.example's old one
        ("development-only-secret-change-me", "placeholder"),  # the old built-in default
        ("my-ExpoOps-password-for-the-2020-fair", "placeholder"),
        ("a" * 64, "too predictable"),
        ("ab" * 32, "too predictable"),
    ],
)
@pytest.mark.parametrize("env", ["development", "test", "production"])
@pytest.mark.finding(1, 2)
def test_weak_and_placeholder_secrets_are_refused_everywhere(secret, reason, env):
    with pytest.raises(ValidationError, match=reason) as refused:
        Settings(env=env, auth_secret=secret)
    # The refusal says how to make a good one.
    assert "secrets.token_urlsafe(32)" in str(refused.value)
    with pytest.raises(ValidationError, match="EXPO_AUTH_PREVIOUS_SECRET"):
        Settings(env=env, auth_secret=secrets.token_urlsafe(32), auth_previous_secret=secret)


@pytest.mark.parametrize(
    "make", [lambda: secrets.token_urlsafe(32), lambda: "s" + secrets.token_hex(24)]
)
def test_the_secrets_the_docs_say_to_make_are_accepted(make):
    secret = make()
    assert Settings(env="production", auth_secret=secret).token_keys.signing == secret


def test_without_a_secret_there_are_no_token_keys_and_the_error_says_what_to_do(monkeypatch):
    monkeypatch.delenv("EXPO_AUTH_SECRET", raising=False)
    settings = Settings()  # commands that sign nothing (migrate, revision) still work
    with pytest.raises(MissingSecret, match="EXPO_AUTH_SECRET is not set"):
        settings.token_keys  # noqa: B018


def test_secrets_stay_out_of_the_settings_repr():
    secret = secrets.token_urlsafe(32)
    assert secret not in repr(Settings(auth_secret=secret))


def test_production_refuses_a_rehearsal():
    with pytest.raises(ValueError, match="EXPO_REHEARSAL"):
        Settings(env="production", auth_secret=secrets.token_urlsafe(32), rehearsal=True)


@pytest.mark.parametrize(
    ("secret", "said"),
    [
        (None, "EXPO_AUTH_SECRET is not set"),
        ("", "EXPO_AUTH_SECRET is not set"),
        ("CHANGE_ME_auth_secret", "EXPO_AUTH_SECRET is shorter than 32 characters"),
        ("CHANGE_ME_auth_secret_made_longer_0123456789", "placeholder"),
    ],
)
@pytest.mark.finding(1, 2)
def test_a_service_refuses_to_start_without_a_real_secret(secret, said, tmp_path):
    """`expo serve` (what the image runs) stops before serving, says why and how to make one,
    and never repeats the refused value."""
    env = {"PATH": "", "EXPO_VAR_DIR": str(tmp_path), "EXPO_ENV": "production"}
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "serve", "registration", "--port", "0"],
        capture_output=True,
        text=True,
        env=env | ({} if secret is None else {"EXPO_AUTH_SECRET": secret}),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert said in done.stderr and "secrets.token_urlsafe(32)" in done.stderr
    assert not secret or secret not in done.stderr
