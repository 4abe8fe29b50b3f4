"""Fixtures: a real nats-server per test (free port, temporary store) and temporary databases.

Database-touching tests run on SQLite, and on PostgreSQL too when EXPO_TEST_DATABASE_URL
points at a server. There, each service gets one database for the whole run, migrated once
and emptied before every test (much faster than a new database per test), dropped at the end.
"""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.launcher import installed_services
from shared.migrations import upgrade
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


async def _admin(statements: list[str]) -> None:
    admin = create_async_engine(pg_admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await admin.dispose()


def _off_the_loop(work) -> None:
    """First requested from inside a test's event loop: set-up runs on a thread of its own."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(work).result()


@pytest.fixture(scope="session")
def postgres_urls():
    """One migrated PostgreSQL database per service for the whole run."""
    suffix = uuid.uuid4().hex[:10]
    names = {service: f"expo_test_{service}_{suffix}" for service in installed_services()}
    base = pg_admin_url().rsplit("/", 1)[0]
    urls = {service: f"{base}/{name}" for service, name in names.items()}

    def create() -> None:
        asyncio.run(_admin([f'CREATE DATABASE "{name}"' for name in names.values()]))
        for service, url in urls.items():
            upgrade(service, url)

    _off_the_loop(create)
    yield urls
    _off_the_loop(
        lambda: asyncio.run(
            _admin([f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names.values()])
        )
    )


async def _empty(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(params=_backends())
async def databases(request, tmp_path, monkeypatch):
    """Points every service at its own empty database on the chosen backend."""
    if request.param == "sqlite":
        for service in installed_services():
            monkeypatch.setenv(
                database_env(service), f"sqlite+aiosqlite:///{tmp_path / service}.db"
            )
        yield "sqlite"
        return
    urls = request.getfixturevalue("postgres_urls")
    for service, url in urls.items():
        await _empty(url)
        monkeypatch.setenv(database_env(service), url)
    yield "postgresql"


@pytest.fixture
def report_figure(record_property):
    """Record a line for the summary `make test` prints at its end: what a stress test
    injected, sent or counted. (Printing would be hidden by the capture, and by the workers.)"""

    def report(line: str) -> None:
        record_property(FIGURE, line)

    return report


FIGURE = "figure"


def pytest_terminal_summary(terminalreporter):
    figures = sorted(
        (report.nodeid.split("[", 1)[0], value)  # by test, whatever its parameters
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if report.when == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == FIGURE
    )
    if figures:
        terminalreporter.section("what the stress tests injected and counted")
        test = None
        for nodeid, line in figures:
            if nodeid != test:
                test = nodeid
                terminalreporter.write_line(test)
            terminalreporter.write_line(f"  {line}")
