"""Rebuild a service's projections from scratch by replaying the streams.

With the service stopped: forget the projections (their rows and the consumer's inbox), delete
the durable consumers, then run the service's consumers until they have caught up with every
stream. Handlers only use what events say, so the result equals what was there before. A
service that can be rebuilt keeps its consumers in `handlers.CONSUMERS` and its projection
tables in `models.PROJECTIONS` (with `models.metadata`).
"""

import asyncio
import importlib
import time
from collections.abc import Sequence

import nats
from nats.js.errors import NotFoundError
from sqlalchemy import Table, delete

from shared.bus import EventConsumer
from shared.nats_options import connection_options
from shared.runtime import Runtime
from shared.settings import Settings


async def forget(
    runtime: Runtime, consumers: Sequence[EventConsumer], projections: Sequence[Table]
) -> None:
    names = {c.consumer for c in consumers}
    async with runtime.sessions() as session, session.begin():
        for table in projections:
            await session.execute(delete(table))
        await session.execute(delete(runtime.inbox).where(runtime.inbox.c.consumer.in_(names)))
    nc = await nats.connect(**connection_options(runtime.settings.nats_url))
    try:
        js = nc.jetstream()
        for consumer in consumers:
            try:
                await js.delete_consumer(consumer.stream, consumer.durable)
            except NotFoundError:
                pass  # never consumed, or already gone
    finally:
        await nc.close()


async def wait_until_caught_up(
    runtime: Runtime,
    consumers: Sequence[EventConsumer],
    timeout: float = 600,  # noqa: ASYNC109 - a polling deadline, not a cancellation scope
) -> None:
    nc = await nats.connect(**connection_options(runtime.settings.nats_url))
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = 0
            for consumer in consumers:
                try:
                    info = await js.consumer_info(consumer.stream, consumer.durable)
                except NotFoundError:
                    try:
                        await js.stream_info(consumer.stream)
                    except NotFoundError:
                        continue  # a stream nobody has published to yet: nothing to replay
                    pending += 1  # not created yet
                    continue
                pending += info.num_pending + info.num_ack_pending
            if pending == 0:
                return
            await asyncio.sleep(0.2)
        raise TimeoutError("the consumers did not catch up in time")
    finally:
        await nc.close()


async def rebuild(service: str, settings: Settings) -> None:
    """Only the service's consumers (and its outbox relay) run: not its HTTP app, not its
    background work, which would act on half-built projections."""
    handlers = importlib.import_module(f"services.{service}.handlers")
    models = importlib.import_module(f"services.{service}.models")
    consumers: Sequence[EventConsumer] = handlers.CONSUMERS
    runtime = Runtime(service, models.metadata, settings, consumers)
    await forget(runtime, consumers, models.PROJECTIONS)
    tasks = [
        asyncio.create_task(runtime.bus.run(), name=f"{service}-bus"),
        asyncio.create_task(runtime.relay.run(), name=f"{service}-outbox-relay"),
    ]
    try:
        await asyncio.wait_for(runtime.bus.started.wait(), 60)
        await wait_until_caught_up(runtime, consumers)
    finally:
        await runtime.shut_down(tasks)
