"""The inbox: a consumer records each event id in the same transaction as its effect,
so a redelivered or replayed event changes nothing the second time."""

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import utcnow


async def claim(session: AsyncSession, inbox: Table, consumer: str, event_id: str) -> bool:
    """True the first time (consumer, event) is seen in this transaction's view.

    Two concurrent deliveries both see False-free views; the primary key then fails the
    second commit, which is retried and finds the row.
    """
    seen = await session.scalar(
        select(inbox.c.event_id).where(inbox.c.consumer == consumer, inbox.c.event_id == event_id)
    )
    if seen is not None:
        return False
    await session.execute(
        insert(inbox).values(consumer=consumer, event_id=event_id, processed_at=utcnow())
    )
    return True
