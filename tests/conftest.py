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


@pytest.fixture(params=_backends())
def empty_database_url(request, tmp_path):
    """A database with nothing in it, not even a schema: SQLite, and PostgreSQL if set."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"expo_test_empty_{uuid.uuid4().hex[:10]}"
    _off_the_loop(lambda: asyncio.run(_admin([f'CREATE DATABASE "{name}"'])))
    yield f"{pg_admin_url().rsplit('/', 1)[0]}/{name}"
    _off_the_loop(lambda: asyncio.run(_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])))


@pytest.fixture
def report_figure(record_property):
    """Record a line for the summary `make test` prints at its end: what a stress test
    injected, sent or counted. (Printing would be hidden by the capture, and by the workers.)"""

    def report(line: str) -> None:
        record_property(FIGURE, line)

    return report


FIGURE = "figure"
FINDING = "finding"


@pytest.fixture(autouse=True)
def _record_finding(request, record_property):
    """A test marked `finding(n)` says, in its report, which security finding it re-tries."""
    for marker in request.node.iter_markers("finding"):
        for number in marker.args:
            record_property(FINDING, number)


def pytest_terminal_summary(terminalreporter):
    _summarise_findings(terminalreporter)
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


def _summarise_findings(terminalreporter) -> None:
    """One line per security finding (tests/hostile/findings.py): held, or which test fails."""
    from tests.hostile.findings import FINDINGS

    outcomes: dict[int, dict[str, list[str]]] = {}
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if report.when != "call" and not (outcome == "failed" and report.when == "setup"):
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == FINDING:
                    tests = outcomes.setdefault(value, {"passed": [], "failed": []})
                    tests[outcome].append(report.nodeid)
    if not outcomes:
        return
    terminalreporter.section("security findings re-tried (tests/hostile/findings.py)")
    for number, title in FINDINGS.items():
        tests = outcomes.get(number)
        if tests is None:
            verdict = "not re-tried in this run"
        elif tests["failed"]:
            verdict = "FAILS: " + ", ".join(sorted(set(tests["failed"])))
        else:
            count = len(tests["passed"])
            verdict = f"holds ({count} test{'s' if count > 1 else ''})"
        terminalreporter.write_line(f"{number:>3}. {title}: {verdict}")
    held = sum(1 for n in FINDINGS if n in outcomes and not outcomes[n]["failed"])
    failing = [str(n) for n in FINDINGS if n in outcomes and outcomes[n]["failed"]]
    untried = len(FINDINGS) - len(outcomes)
    line = f"security findings: {held} of {len(FINDINGS)} re-tried and held"
    line += f"; failing again: {', '.join(failing)}" if failing else ""
    line += f"; {untried} not re-tried in this run" if untried else ""
    terminalreporter.write_line(line)
