"""Unit of work: the business rows and their events commit in one transaction (the outbox).

    async with runtime.unit_of_work(actor) as uow:
        uow.session.add(row)
        uow.emit(SomethingHappened(...))
        await uow.commit()

After the commit the outbox relay is woken; if the process dies first, the relay finds the
rows on the next start. Nothing accepted is lost.
"""

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import utcnow
from shared.events import Event

OUTBOX_ORDER_LOCK = 0x6578706F6F75746F  # "expoouto"; each service has its own database


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        on_commit: Callable[[], None] = lambda: None,
        writers: AbstractAsyncContextManager = nullcontext(),
    ) -> None:
        self._sessions = sessions
        self._writers = writers  # see shared.db.writer_queue
        self._outbox = outbox
        self._on_commit = on_commit
        self._events: list[Event] = []
        self.session: AsyncSession

    async def __aenter__(self) -> "UnitOfWork":
        await self._writers.__aenter__()
        self.session = self._sessions()
        self._events = []
        return self

    async def __aexit__(self, *exc_info) -> None:
        # Anything not committed explicitly is rolled back: no half-written changes.
        try:
            await self.session.rollback()
            await self.session.close()
        finally:
            await self._writers.__aexit__(None, None, None)

    def emit(self, event: Event) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        if self._events:
            if self.session.get_bind().dialect.name == "postgresql":
                # The outbox's order (seq) must be the order of the commits, which the relay
                # keeps on the stream. A sequence number is taken at insert, so two
                # transactions could commit in the other order, and the relay publish the
                # later one first. Held from here to the commit (a few milliseconds), this lock
                # makes the transactions that emit events commit one after another. (SQLite's
                # writers take turns anyway: shared.db.writer_queue.)
                await self.session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_ORDER_LOCK}
                )
            now = utcnow()
            await self.session.execute(
                insert(self._outbox),
                [
                    {
                        "event_id": str(e.id),
                        "subject": e.subject,
                        "payload": e.to_json().decode(),
                        "headers": json.dumps(e.headers()),
                        "created_at": now,
                        "attempts": 0,
                    }
                    for e in self._events
                ],
            )
        await self.session.commit()
        emitted, self._events = self._events, []
        if emitted:
            self._on_commit()
