"""Fixtures: a real nats-server per test (free port, temporary store) and temporary databases.

Database-touching tests run on SQLite, and on PostgreSQL too when EXPO_TEST_DATABASE_URL
points at a server (each test gets a fresh database there, dropped afterwards).
"""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.launcher import installed_services
from shared.natsserver import NatsServer
from tests.support import database_env, pg_admin_url


@pytest.fixture
def nats_server(tmp_path):
    server = NatsServer(tmp_path / "jetstream", log_file=tmp_path / "nats.log").start()
    yield server
    server.stop(kill=True)


def _backends():
    backends = [pytest.param("sqlite", id="sqlite")]
    backends.append(
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(not pg_admin_url(), reason="EXPO_TEST_DATABASE_URL not set"),
        )
    )
    return backends


@pytest.fixture(params=_backends())
async def databases(request, tmp_path, monkeypatch):
    """Points every service at its own empty database on the chosen backend."""
    services = installed_services()
    if request.param == "sqlite":
        for service in services:
            monkeypatch.setenv(
                database_env(service), f"sqlite+aiosqlite:///{tmp_path / service}.db"
            )
        yield "sqlite"
        return
    admin_url = pg_admin_url()
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:10]
    names = {service: f"expo_test_{service}_{suffix}" for service in services}
    async with admin.connect() as conn:
        for name in names.values():
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = admin_url.rsplit("/", 1)[0]
    for service, name in names.items():
        monkeypatch.setenv(database_env(service), f"{base}/{name}")
    yield "postgresql"
    async with admin.connect() as conn:
        for name in names.values():
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()
