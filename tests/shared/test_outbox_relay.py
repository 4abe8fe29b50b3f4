"""The relay writes a batch to the connection in order and awaits its PubAcks together: only
what was acked before the first refusal is marked published, the refused event says why, and
the events after it stay unmarked, to be sent again (the stream drops the copies)."""

import json

import nats
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import new_metadata, session_factory
from shared.events import UnitRegistered
from shared.metrics import ServiceMetrics
from shared.outbox import OutboxRelay
from shared.streams import ensure_stream, service_stream
from shared.uow import UnitOfWork
from tests.support import stream_messages

NOWHERE = "expo.nowhere.unit.registered"  # no stream takes this subject: the server refuses


async def test_a_refused_event_stops_the_marks_where_it_stands(nats_server, tmp_path):
    metadata = new_metadata()
    outbox = metadata.tables["outbox"]
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'relay.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    events = [UnitRegistered.model_validate(UnitRegistered.example() | {"id": str(n) * 32})
              for n in range(1, 5)]  # fmt: skip
    async with UnitOfWork(sessions, outbox) as uow:
        for event in events:
            uow.emit(event)
        await uow.commit()
    async with sessions() as session, session.begin():  # the third one cannot go anywhere
        third = (await session.execute(select(outbox.c.seq).order_by(outbox.c.seq))).all()[2]
        await session.execute(
            outbox.update().where(outbox.c.seq == third.seq).values(subject=NOWHERE)
        )

    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, service_stream("registration"))
        relay = OutboxRelay(sessions, outbox, lambda: js, ServiceMetrics("relay-test"))
        try:
            await relay.publish_pending()
        except Exception as exc:
            refusal = exc
        else:
            raise AssertionError("the refused event was reported as published")

        async with sessions() as session:
            rows = (
                await session.execute(
                    select(outbox.c.event_id, outbox.c.published_at, outbox.c.attempts,
                           outbox.c.last_error).order_by(outbox.c.seq)
                )
            ).all()  # fmt: skip
        marked = [row.published_at is not None for row in rows]
        assert marked == [True, True, False, False]
        assert (rows[2].attempts, rows[3].attempts) == (1, 0)
        assert rows[2].last_error and rows[2].last_error == str(refusal)[:500]
        assert rows[3].last_error is None

        # Sent again once the third is mended: each event on the stream once, no matter that
        # the fourth went out the first time too.
        async with sessions() as session, session.begin():
            await session.execute(
                outbox.update()
                .where(outbox.c.event_id == rows[2].event_id)
                .values(subject=UnitRegistered.TYPE)
            )
        assert await relay.publish_pending() == 2
        stored = [
            json.loads(m.data)["id"]
            for m in await stream_messages(nats_server.url, "expo.registration.>")
        ]
        assert sorted(stored) == sorted(str(e.id) for e in events)
        async with sessions() as session:
            unpublished = await session.scalar(
                select(outbox.c.seq).where(outbox.c.published_at.is_(None))
            )
        assert unpublished is None
    finally:
        await nc.close()
        await engine.dispose()
