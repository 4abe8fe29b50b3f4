"""On SQLite a process's units of work queue for the database's one write lock instead of
meeting it taken: SQLite's busy handler would make them sleep (up to 100 ms a try).

The engine here has no busy timeout at all, so a writer that found the lock taken would fail
with "database is locked" at once: every write succeeding shows none ever waited on SQLite.
"""

import asyncio

from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import add_platform_tables, session_factory, writer_queue
from shared.uow import UnitOfWork

WRITERS = 20


async def test_concurrent_units_of_work_never_meet_the_sqlite_write_lock(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}"
    metadata = MetaData()
    add_platform_tables(metadata)
    rows = Table("rows", metadata, Column("n", Integer, primary_key=True))
    engine = create_async_engine(url, connect_args={"timeout": 0})
    async with engine.begin() as conn:
        await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        await conn.run_sync(metadata.create_all)
    waits: list[float] = []
    sessions, queue = session_factory(engine), writer_queue(url, waits.append)

    async def write(n: int) -> None:
        async with UnitOfWork(sessions, metadata.tables["outbox"], writers=queue) as uow:
            await uow.session.execute(insert(rows).values(n=n))
            await asyncio.sleep(0.01)  # hold the write lock while the others arrive
            await uow.commit()

    try:
        await asyncio.gather(*(write(n) for n in range(WRITERS)))
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(rows)) == WRITERS
        # What /metrics shows as expo_db_writer_wait_seconds: each waited for those before it.
        assert len(waits) == WRITERS
        assert max(waits) >= 0.01 * (WRITERS - 1)
    finally:
        await engine.dispose()


async def test_a_failed_unit_of_work_lets_the_next_writer_in(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}"
    metadata = MetaData()
    add_platform_tables(metadata)
    engine = create_async_engine(url, connect_args={"timeout": 0})
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions, queue = session_factory(engine), writer_queue(url)
    try:
        try:
            async with UnitOfWork(sessions, metadata.tables["outbox"], writers=queue):
                raise RuntimeError("the use case refused")
        except RuntimeError:
            pass
        async with asyncio.timeout(5):
            async with UnitOfWork(sessions, metadata.tables["outbox"], writers=queue) as uow:
                await uow.commit()
    finally:
        await engine.dispose()
