"""The inbox: a consumer records each event id in the same transaction as its effect,
so a redelivered or replayed event changes nothing the second time."""

from collections.abc import Sequence

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import utcnow


async def claim(
    session: AsyncSession, inbox: Table, consumer: str, event_ids: Sequence[str]
) -> set[str]:
    """Record the ids not seen before by this consumer and return them.

    Two concurrent transactions may both see an id as new; the primary key then fails the
    second commit, whose messages are redelivered and found here as already seen.
    """
    seen = set(
        await session.scalars(
            select(inbox.c.event_id).where(
                inbox.c.consumer == consumer, inbox.c.event_id.in_(event_ids)
            )
        )
    )
    new = [event_id for event_id in dict.fromkeys(event_ids) if event_id not in seen]
    if new:
        now = utcnow()
        await session.execute(
            insert(inbox), [{"consumer": consumer, "event_id": e, "processed_at": now} for e in new]
        )
    return set(new)
