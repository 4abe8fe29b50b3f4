"""Replicas start together: any number of `expo migrate` at once on one database, empty or
at an older revision, all succeed and leave exactly the schema the models describe."""

import asyncio
import importlib
import os
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import upgrade, upgrade_async
from tests.support import database_env

pytestmark = pytest.mark.db
REPLICAS = 4
SERVICE = "reporting"  # the longest history: four migrations


async def migrate_at_once(url: str) -> list[tuple[int, str]]:
    env = {"PATH": os.environ.get("PATH", ""), database_env(SERVICE): url}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "shared.cli",
            "migrate",
            SERVICE,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(REPLICAS)
    ]
    outputs = await asyncio.gather(*(p.communicate() for p in processes))
    return [
        (p.returncode or 0, out.decode()) for p, (out, _err) in zip(processes, outputs, strict=True)
    ]


async def schema_difference(url: str) -> list:
    metadata = importlib.import_module(f"services.{SERVICE}.models").metadata
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
    await engine.dispose()
    return diff


@pytest.mark.parametrize("start_at", ["empty", "0002"])
async def test_replicas_migrating_at_once_all_succeed(start_at, empty_database_url):
    if start_at != "empty":
        await asyncio.to_thread(upgrade, SERVICE, empty_database_url, start_at)
    results = await migrate_at_once(empty_database_url)
    failed = [output for code, output in results if code != 0]
    assert failed == [], failed[0]
    assert all(f"{SERVICE}: migrated" in output for _code, output in results)
    assert await schema_difference(empty_database_url) == []
    await upgrade_async(SERVICE, empty_database_url)  # and once more, later: nothing to do
