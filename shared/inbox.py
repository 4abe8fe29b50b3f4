"""The inbox: a consumer records each event id in the same transaction as its effect,
so a redelivered or replayed event changes nothing the second time."""

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import dialect_insert, utcnow


async def claim(
    session: AsyncSession, inbox: Table, consumer: str, event_ids: Sequence[str]
) -> set[str]:
    """Record the ids not seen before by this consumer and return them, in one round trip:
    the ids already there are left alone and not returned.

    A concurrent transaction claiming the same id waits for this one (PostgreSQL) or for the
    write lock (SQLite), then finds the id taken.
    """
    now = utcnow()
    rows = [
        {"consumer": consumer, "event_id": event_id, "processed_at": now}
        for event_id in dict.fromkeys(event_ids)
    ]
    if not rows:
        return set()
    statement = (
        dialect_insert(session, inbox)
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(inbox.c.event_id)
    )
    return set((await session.execute(statement, rows)).scalars())
