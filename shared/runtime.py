"""Everything one service process holds: settings, database, broker, outbox relay, metrics."""

import asyncio
import logging
from collections.abc import Sequence
from functools import cached_property

from sqlalchemy import MetaData, text

from shared.auth import TokenKeys
from shared.bus import BusSupervisor, EventConsumer, jetstream_of, make_broker
from shared.clock import Clock
from shared.db import create_engine, session_factory, writer_queue
from shared.metrics import ServiceMetrics
from shared.outbox import OutboxRelay
from shared.revocations import RevocationList
from shared.settings import Settings
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        service: str,
        metadata: MetaData,
        settings: Settings,
        consumers: Sequence[EventConsumer] = (),
    ) -> None:
        self.service = service
        self.settings = settings
        self.edition = settings.edition
        self.revoked_tokens = RevocationList(settings.stream_replicas)
        self.clock = Clock(settings.clock_offset_days)
        self.metadata = metadata
        self.outbox = metadata.tables["outbox"]
        self.inbox = metadata.tables["inbox"]
        self.idempotency = metadata.tables["idempotency_keys"]
        self.metrics = ServiceMetrics(service)
        self.engine = create_engine(settings.database_url(service))
        self.writers = writer_queue(
            settings.database_url(service), self.metrics.writer_wait.observe
        )
        self.sessions = session_factory(self.engine)
        self.broker = make_broker(
            service, settings.nats_url, self.metrics, settings.shutdown_timeout
        )
        self.relay = OutboxRelay(
            self.sessions,
            self.outbox,
            lambda: jetstream_of(self.broker),
            self.metrics,
            writers=self.writers,
            batch_size=settings.outbox_batch_size,
            poll_interval=settings.outbox_poll_interval,
        )
        # Declare our own stream and every stream we read, so start-up order never matters.
        self.consumers = list(consumers)
        streams = [service, *(c.source_service for c in consumers)]
        self.bus = BusSupervisor(
            self.broker, list(dict.fromkeys(streams)), self.metrics, settings.stream_replicas
        )
        for consumer in consumers:
            consumer.attach(self.broker, self.unit_of_work, self.inbox, self.metrics, settings)
        self.metrics.on_scrape(self._refresh_outbox_metrics)

    @cached_property
    def token_keys(self) -> TokenKeys:
        """Without a secret the app can still be built (its documents are generated from it),
        but it does not start: the lifespan asks for the keys first (MissingSecret)."""
        return self.settings.token_keys

    async def shut_down(self, tasks: Sequence[asyncio.Task]) -> None:
        """Stop the given background tasks, the broker and the database, each within the
        shutdown timeout: a stuck part is logged and left behind rather than holding the
        process forever."""
        limit = self.settings.shutdown_timeout
        for task in tasks:
            task.cancel()
        if tasks:
            _done, stuck = await asyncio.wait(tasks, timeout=limit)
            for task in stuck:
                log.warning("%s did not stop within %.0fs", task.get_name(), limit)
        for step, name in ((self.broker.stop, "broker"), (self.engine.dispose, "database")):
            try:
                async with asyncio.timeout(limit):
                    await step()
            except TimeoutError:
                log.warning("the %s did not stop within %.0fs", name, limit)
            except Exception:
                log.warning("stopping the %s failed", name, exc_info=True)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessions, self.outbox, on_commit=self.relay.wake, writers=self.writers
        )

    async def database_ready(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def _refresh_outbox_metrics(self) -> None:
        count, age = await self.relay.backlog()
        self.metrics.outbox_backlog.set(count)
        self.metrics.outbox_oldest_age.set(age)
        js = jetstream_of(self.broker) if self.bus.connected() else None
        if js is None:
            return
        for consumer in self.consumers:
            try:
                info = await js.consumer_info(consumer.stream, consumer.durable)
            except Exception:  # not created yet: nothing to report
                continue
            lag = (info.num_pending or 0) + (info.num_ack_pending or 0)
            self.metrics.consumer_pending.labels(consumer.consumer, consumer.stream).set(lag)
