"""Alembic glue: one migration history per service, run the same way everywhere.

A service's `migrations/env.py` calls `run_env(metadata)`; `upgrade(service, url)` runs
its history to head (the launcher, the CLI and the tests all use it).
"""

import asyncio
import fcntl
import importlib
import tempfile
from contextlib import contextmanager
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, make_url, pool, text
from sqlalchemy.ext.asyncio import async_engine_from_config

from shared.db import NAMING_CONVENTION, add_platform_tables


def alembic_config(service: str, url: str) -> Config:
    package_dir = Path(importlib.import_module(f"services.{service}").__path__[0])
    config = Config()
    config.set_main_option("script_location", str(package_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Blocking; call it from a thread when an event loop is running (it starts its own).

    Any number of processes may run it at once on one database (replicas starting together):
    one migrates while the others wait, then find the schema current. On PostgreSQL the
    migration transaction takes an advisory lock first (see `_run_sync`); SQLite has no such
    lock, and its first write comes after alembic has read the version, so processes of one
    machine take a file lock beside the database instead."""
    with _sqlite_file_lock(url):
        command.upgrade(alembic_config(service, url), revision)


@contextmanager
def _sqlite_file_lock(url: str):
    database = make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        yield


async def upgrade_async(service: str, url: str) -> None:
    await asyncio.to_thread(upgrade, service, url)


def run_env(target_metadata: MetaData) -> None:
    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(target_metadata))


async def _run_online(target_metadata: MetaData) -> None:
    engine = async_engine_from_config(
        context.config.get_section(context.config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync, target_metadata)
    await engine.dispose()


# One number for every service: each has its own database, so they never wait for each other.
MIGRATION_LOCK = 0x6578706F6D696772  # "expomigr"
PLATFORM_TABLES = frozenset({"outbox", "inbox", "idempotency_keys"})


def _not_platform(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate leaves the platform tables to `create_platform_tables_v1`."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in PLATFORM_TABLES


def _run_sync(connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=_not_platform,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends (PostgreSQL migrates in one transaction): a
            # second process waits here, then reads the version this one wrote.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


def new_revision(service: str, message: str) -> str:
    """Write the next migration of `service` from the difference between its models and its
    history (autogenerate against a scratch SQLite database); review it before committing."""
    with tempfile.TemporaryDirectory() as scratch:
        config = alembic_config(service, f"sqlite+aiosqlite:///{scratch}/scratch.db")
        command.upgrade(config, "head")
        heads = ScriptDirectory.from_config(config).get_heads()
        number = int(heads[0]) + 1 if heads else 1
        script = command.revision(
            config, message=message, autogenerate=True, rev_id=f"{number:04d}"
        )
    return script.path if script and not isinstance(script, list) else ""


def create_platform_tables_v1(op) -> None:
    """The outbox, inbox and idempotency tables, as every service's first migration creates them."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    add_platform_tables(metadata)
    metadata.create_all(op.get_bind())
