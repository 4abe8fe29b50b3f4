"""Settings come from EXPO_* variables; production refuses the development secret."""

import pytest
from pydantic import ValidationError

from shared.settings import DEV_AUTH_SECRET, Settings


def test_settings_read_the_expo_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("EXPO_NATS_URL", "nats://10.0.0.5:4222")
    monkeypatch.setenv("EXPO_VAR_DIR", str(tmp_path))
    settings = Settings()
    assert settings.nats_url == "nats://10.0.0.5:4222"
    assert settings.database_url("signings") == f"sqlite+aiosqlite:///{tmp_path / 'signings.db'}"


def test_a_service_database_url_can_point_elsewhere(monkeypatch):
    monkeypatch.setenv("EXPO_SIGNINGS_DATABASE_URL", "postgresql+asyncpg://db/expo_signings")
    assert Settings().database_url("signings") == "postgresql+asyncpg://db/expo_signings"


def test_production_refuses_the_development_secret():
    with pytest.raises(ValidationError, match="EXPO_AUTH_SECRET"):
        Settings(env="production", auth_secret=DEV_AUTH_SECRET)
    assert Settings(env="production", auth_secret="a-long-real-secret-value").env == "production"


def test_short_secrets_are_refused():
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(auth_secret="short")


def test_production_refuses_a_rehearsal():
    with pytest.raises(ValueError, match="EXPO_REHEARSAL"):
        Settings(env="production", auth_secret="a-long-real-secret-value", rehearsal=True)
