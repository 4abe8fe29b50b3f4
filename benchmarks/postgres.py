"""PostgreSQL for the pipeline, when `make bench` is given a server (`--postgres`): a fresh
database per service for the run, dropped afterwards. `expo run` migrates them as it starts."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


@asynccontextmanager
async def databases(server_url: str, services: list[str]) -> AsyncIterator[dict[str, str]]:
    """`server_url`: any database on the server, e.g. postgresql+asyncpg://postgres@host/postgres."""
    suffix = uuid.uuid4().hex[:8]
    names = {service: f"expo_bench_{service}_{suffix}" for service in services}
    base = server_url.rsplit("/", 1)[0]
    await _run(server_url, [f'CREATE DATABASE "{name}"' for name in names.values()])
    try:
        yield {service: f"{base}/{name}" for service, name in names.items()}
    finally:
        await _run(
            server_url, [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names.values()]
        )


async def server_version(server_url: str) -> str:
    engine = create_async_engine(server_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return str(await conn.scalar(text("SHOW server_version")))
    finally:
        await engine.dispose()


async def _run(server_url: str, statements: list[str]) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()
