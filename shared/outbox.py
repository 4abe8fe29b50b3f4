"""The outbox relay: publishes committed events to JetStream, in order, until each is acked.

A batch is written to the connection in order and its PubAcks are awaited together.

It publishes with `Nats-Msg-Id` = event id, so a copy re-sent after a crash between the
PubAck and the "published" mark is dropped by the server's duplicate window. While NATS is
away it retries forever with capped exponential backoff; the backlog is a metric.

Replicas of a service share its outbox, and each runs a relay; they take turns. A batch's
rows stay locked (FOR UPDATE, on PostgreSQL) from the select to the "published" marks, so
another relay waits for them instead of skipping ahead and publishing later rows first; it
then finds them published and goes on from there. A relay that hangs while holding them
(SIGSTOP, a frozen VM) loses its transaction after IDLE_HOLD_SECONDS, and the others take
over; what it had sent is dropped as a copy by the stream's duplicate window.
"""

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext

from nats.js import JetStreamContext
from sqlalchemy import Table, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.aio import cancel_requested
from shared.db import aggregate_time, utcnow
from shared.events import stream_for_subject
from shared.metrics import ServiceMetrics

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0
PUBLISH_TIMEOUT_SECONDS = 5.0
# A relay whose transaction stays idle this long (hung, SIGSTOPped) loses it and its locks:
# well above a batch's publish (PUBLISH_TIMEOUT_SECONDS), well below the duplicate window.
IDLE_HOLD_SECONDS = 20


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        jetstream: Callable[[], JetStreamContext | None],
        metrics: ServiceMetrics,
        *,
        writers: AbstractAsyncContextManager = nullcontext(),
        batch_size: int = 200,
        poll_interval: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._writers = writers  # see shared.db.writer_queue
        self._outbox = outbox
        self._jetstream = jetstream
        self._metrics = metrics
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that wrote events: publish now rather than at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        failures = 0
        while not cancel_requested():
            try:
                published = await self.publish_pending()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS away, DB busy...: wait and try again, forever
                failures += 1
                self._metrics.outbox_publish_errors.inc()
                delay = min(MAX_BACKOFF_SECONDS, 0.1 * 2**failures)
                log.warning("outbox relay: %s; retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            if published < self._batch_size:
                await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        try:
            async with asyncio.timeout(self._poll_interval):
                await self._wakeup.wait()
        except TimeoutError:
            pass
        self._wakeup.clear()

    async def publish_pending(self) -> int:
        """Publish one batch, oldest first. Returns how many were published."""
        js = self._jetstream()
        if js is None:
            return 0  # not connected (yet): the rows wait; the next round tries again
        t = self._outbox
        # One transaction from the select to the marks: on PostgreSQL it holds the selected
        # rows while they are published, and another replica's relay waits for them (never
        # SKIP LOCKED: it would publish later rows first). Writers queue only for the marks.
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                await session.execute(
                    text(f"SET LOCAL idle_in_transaction_session_timeout = '{IDLE_HOLD_SECONDS}s'")
                )
            rows = (
                await session.execute(
                    select(t.c.seq, t.c.subject, t.c.payload, t.c.headers)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.seq)
                    .limit(self._batch_size)
                    .with_for_update()
                )
            ).all()
            done, failure = await self._publish_in_order(js, rows)
            if done or failure is not None:
                async with self._writers:
                    # Mark what was acked even when a later publish failed: not re-sent.
                    if done:
                        await session.execute(
                            update(t).where(t.c.seq.in_(done)).values(published_at=utcnow())
                        )
                    if failure is not None:
                        await session.execute(
                            update(t)
                            .where(t.c.seq == rows[len(done)].seq)
                            .values(attempts=t.c.attempts + 1, last_error=str(failure)[:500])
                        )
                    await session.commit()
        self._metrics.outbox_published.inc(len(done))
        if failure is not None:
            raise failure
        return len(done)

    async def _publish_in_order(
        self, js: JetStreamContext, rows
    ) -> tuple[list[int], Exception | None]:
        """Publish the rows one after another on the connection, then wait for their PubAcks
        together: one round trip per batch rather than one per event, which also keeps the
        relay from falling behind when many requests share the event loop.

        Returns the rows acked before the first failure. The rows after a failure are not
        marked: the next round sends them again and the stream's duplicate window drops the
        copies. They left after the failed one on the same connection, so if it never
        arrived they did not either; only a message the stream itself rejects could have
        later ones stored before it, and such a message stops the relay (its error is on
        its row and in the log), as it always did.
        """
        acks: list[asyncio.Future] = []
        failure: Exception | None = None
        for row in rows:
            try:
                acks.append(
                    await js.publish_async(
                        row.subject,
                        row.payload.encode(),
                        wait_stall=PUBLISH_TIMEOUT_SECONDS,
                        stream=stream_for_subject(row.subject),
                        headers=json.loads(row.headers),
                    )
                )
            except Exception as exc:
                failure = exc
                break
        done: list[int] = []
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                for row, ack in zip(rows, acks, strict=False):
                    await ack
                    done.append(row.seq)
        except TimeoutError:
            failure = TimeoutError(f"no PubAck within {PUBLISH_TIMEOUT_SECONDS:.0f}s")
        except Exception as exc:  # the stream rejected it
            failure = exc
        finally:
            for ack in acks:
                if ack.done() and not ack.cancelled():
                    ack.exception()  # answered after the failure: read, so never logged as lost
                ack.cancel()  # no-op when answered; otherwise frees its slot in nats-py
        return done, failure

    async def backlog(self) -> tuple[int, float]:
        """(events waiting, age in seconds of the oldest one)."""
        t = self._outbox
        async with self._sessions() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None))
                )
            ).one()
        oldest = aggregate_time(oldest)
        if oldest is None:
            return 0, 0.0
        return count, max(0.0, (utcnow() - oldest).total_seconds())
