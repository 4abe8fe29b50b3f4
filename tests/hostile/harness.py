"""What the hostile-input tests share: a snapshot of everything a request could change, and
a way for synchronous code (Hypothesis) on a worker thread to call a service whose app runs
on the test's event loop."""

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import nats
from sqlalchemy import func, select

from shared.streams import stream_name
from tests.support import RunningService, eventually

T = TypeVar("T")


async def row_counts(svc: RunningService) -> dict[str, int]:
    """Rows in every table of the service's database (the outbox included: it keeps every
    event ever emitted), read in one query."""
    tables = sorted(svc.runtime.metadata.tables.values(), key=lambda t: t.name)
    query = select(
        *[select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables]
    )
    async with svc.runtime.sessions() as session:
        row = (await session.execute(query)).one()
    return dict(row._asdict())


async def settled_row_counts(svc: RunningService, quiet: float = 0.5) -> dict[str, int]:
    """`row_counts` once the service's own start-up work is done (reporting's scheduler files
    the report alerts due when it starts): counts that stayed the same for `quiet` seconds."""
    latest, since = await row_counts(svc), time.monotonic()

    async def unchanged_for_a_while() -> bool:
        nonlocal latest, since
        counts = await row_counts(svc)
        if counts != latest:
            latest, since = counts, time.monotonic()
        return time.monotonic() - since >= quiet

    await eventually(unchanged_for_a_while, timeout=60, what="the service's tables to settle")
    return latest


async def stream_size(nats_url: str, service: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        return (await nc.jetstream().stream_info(stream_name(service))).state.messages
    finally:
        await nc.close()


class LoopBridge:
    """Runs coroutines on the test's event loop from another thread and waits for them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)
