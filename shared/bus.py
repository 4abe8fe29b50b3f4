"""NATS plumbing: a broker with safe defaults, a connection supervisor, durable consumers.

FastStream's defaults are overridden where they would lose or hide messages:
- consumers ack only after the effect commits, NACK with a delay on error instead of
  REJECT (terminate), and after `max_deliver` attempts send the message to the
  dead-letter stream with the reason;
  a message that fails validation goes to the dead-letter stream at once, and so does a
  valid event of another edition or from another source than the stream's service;
- publishing goes through JetStream (the outbox relay passes `stream=` and waits for PubAck);
- reconnects are unlimited, graceful shutdown has an explicit timeout, and per-message
  log lines are at DEBUG.
"""

import asyncio
import builtins
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import nats
from faststream import AckPolicy, Context
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.prometheus import NatsPrometheusMiddleware
from faststream.nats.security import NatsToken
from faststream.nats.subscriber.usecases import stream_pull_subscriber
from faststream.security import BaseSecurity, SASLPlaintext
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import Table

from shared.aio import cancel_requested
from shared.events import Event
from shared.inbox import claim
from shared.metrics import ServiceMetrics
from shared.nats_options import connection_options
from shared.settings import Settings
from shared.streams import (
    DEAD_LETTER_PREFIX,
    dead_letter_stream,
    ensure_stream,
    service_stream,
    stream_name,
)
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

# FastStream 0.7.8's pull loops catch `nats.errors.TimeoutError` only, but nats-py 2.16 also
# raises the builtin TimeoutError when a fetch deadline runs out (under load). That escaped,
# killed the loop and stranded the fetched batch until its ack wait. The builtin is the base
# class of both, so catching it is what the loop means to do.
stream_pull_subscriber.TimeoutError = builtins.TimeoutError  # type: ignore[misc, assignment]

# A handler applies one event inside the consumer's unit of work: it may write rows and
# emit events of its own, which commit together with the inbox record.
Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
# A backlog (a replay, a consumer catching up) drains in batches this large: fewer commits
# and round trips per event (a replay of 100,000 events: 9,500/s at 500 a batch, 10,100/s
# at 900). Kept under the server's 1,000 unacked messages per consumer, so that a few
# messages waiting for redelivery never make a fetch wait for its deadline.
BATCH_SIZE = 900
BATCH_WAIT_SECONDS = 0.1  # the most a lone event waits for company


def make_broker(
    service: str, servers: str, metrics: ServiceMetrics, graceful_timeout: float
) -> NatsBroker:
    options = connection_options(servers)
    return NatsBroker(
        servers=options["servers"],
        security=_security(options),
        ping_interval=options["ping_interval"],
        max_outstanding_pings=options["max_outstanding_pings"],
        name=f"expo-{service}",
        max_reconnect_attempts=-1,  # never give up: the outbox waits, nothing is lost
        reconnect_time_wait=1,
        connect_timeout=2,
        graceful_timeout=graceful_timeout,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        log_level=logging.DEBUG,  # no INFO line per message
        middlewares=[NatsPrometheusMiddleware(registry=metrics.registry, app_name=service)],
    )


def _security(options: dict) -> BaseSecurity | None:
    """The URL's credentials, for every server of the cluster (shared/nats_options.py)."""
    if "token" in options:
        return NatsToken(options["token"])
    if "user" in options:
        return SASLPlaintext(username=options["user"], password=options["password"])
    return None


def jetstream_of(broker: NatsBroker) -> JetStreamContext | None:
    state = broker.config.connection_state
    try:
        connection, stream = state.connection, state.stream
    except Exception:  # FastStream raises until the broker has connected once
        return None
    return stream if connection.is_connected else None


class EventConsumer:
    """One durable pull consumer (`<consumer>__<stream>`) over one service's stream.

    Handlers are registered per event type; each runs in a unit of work together with the
    inbox record (and any events it emits), and the message is acked only after it commits.
    Only this edition's events from the stream's own service are applied: the body's
    `edition` and the `ce-source` header must say so.
    """

    def __init__(self, consumer: str, source_service: str) -> None:
        self.consumer = consumer
        self.stream = stream_name(source_service)
        self.source_service = source_service
        self.durable = f"{consumer}__{self.stream}"
        self._handlers: dict[str, tuple[type[Event], Handler]] = {}
        self._batch_handlers: list[Handler] = []

    def on(self, event_type: type[Event]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._handlers[event_type.TYPE] = (event_type, handler)
            return handler

        return register

    def on_batch(self, *event_types: type[Event]) -> Callable[[Handler], Handler]:
        """Register a handler called once per batch with all its new events, in stream order:
        it can write its table in one statement instead of one per event (a replay is all
        batches). It runs after the batch's per-event handlers, so it must write only what no
        other handler of this consumer writes."""

        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self._handlers[event_type.TYPE] = (event_type, handler)
            self._batch_handlers.append(handler)
            return handler

        return register

    def attach(
        self,
        broker: NatsBroker,
        unit_of_work: Callable[[], UnitOfWork],
        inbox: Table,
        metrics: ServiceMetrics,
        settings: Settings,
    ) -> None:
        self._broker, self._unit_of_work, self._inbox = broker, unit_of_work, inbox
        self._metrics, self._max_deliver = metrics, settings.consumer_max_deliver
        self._edition = settings.edition.code
        # As Event.headers() writes it for an event of this edition published by the service.
        self._source = f"/expo/{self._edition}/{self.source_service}"

        async def handle(batch: Annotated[Any, Context("message")]) -> None:
            await self._process_batch(batch.raw_message)

        async def leave_undecoded(_message: Any) -> None:
            # FastStream would json.loads every body of the batch before the handler runs; a
            # body it cannot parse (nested too deep) then failed the whole batch, every time
            # it came back. The handler validates each raw body itself, one by one.
            return None

        broker.subscriber(
            f"expo.{self.source_service}.>",
            stream=JStream(self.stream, declare=False),
            durable=self.durable,
            # A batch is applied in one transaction: far fewer commits than one per event.
            pull_sub=PullSub(batch_size=BATCH_SIZE, timeout=BATCH_WAIT_SECONDS, batch=True),
            ack_policy=AckPolicy.MANUAL,  # each message is acked, nacked or dead-lettered below
            decoder=leave_undecoded,
            config=ConsumerConfig(
                durable_name=self.durable,
                ack_policy=JsAckPolicy.EXPLICIT,
                ack_wait=settings.consumer_ack_wait,
                deliver_policy=DeliverPolicy.ALL,
                max_deliver=-1,  # we decide when to give up (dead letter), not the server
            ),
            title=self.durable,
            description=f"{self.consumer} consumes {', '.join(self._handlers)}",
        )(handle)

    async def _process_batch(self, messages: list[Msg]) -> None:
        wanted: list[tuple[Msg, Event]] = []
        for raw in messages:
            registered = self._handlers.get(raw.subject)
            if registered is None:
                await raw.ack()  # an event this consumer does not need
                continue
            try:
                event = registered[0].model_validate_json(raw.data)
            except ValidationError as exc:  # never retried: it would fail the same way
                await self._dead_letter(raw, "invalid", _first_error(exc))
                continue
            if event.type != raw.subject:
                # The subject chose the model, so the body's own type must agree: otherwise an
                # approval could be applied as a withdrawal, or fail every retry.
                reason = f"type: {event.type!r} does not match the subject {raw.subject!r}"
                await self._dead_letter(raw, "invalid", reason[:500])
                continue
            foreign = self._foreign(raw, event)
            if foreign is not None:  # never retried either: it is not ours to apply
                await self._dead_letter(raw, "foreign", foreign[:500])
                continue
            wanted.append((raw, event))
        if not wanted:
            return
        events = [event for _raw, event in wanted]
        try:
            async with self._unit_of_work() as uow:
                outcomes = await self._apply(uow, events)
                await uow.commit()
        except Exception:
            # Something in the batch failed: apply one by one to isolate it.
            for raw, event in wanted:
                await self._process_one(raw, event)
            return
        handled = Counter((e.type, outcome) for e, outcome in zip(events, outcomes, strict=True))
        for (event_type, outcome), n in handled.items():
            self._metrics.events_handled.labels(self.consumer, event_type, outcome).inc(n)
        for raw, _event in wanted:
            await raw.ack()

    def _foreign(self, raw: Msg, event: Event) -> str | None:
        """Why a well-formed event is not ours to apply, or None: another edition's event (a
        copy from another deployment or a test) would count in this one, and one whose
        CloudEvents source is not the stream's service is not what it says it is. Who may
        publish on a stream at all is the bus's permissions' business (deploy/nats/nats.conf);
        this makes a mislabelled event a visible dead letter instead of an applied one."""
        if event.edition != self._edition:
            return f"edition: {event.edition!r} is not this service's edition {self._edition!r}"
        source = (raw.headers or {}).get("ce-source")
        if source is None:
            return f"ce-source: missing, expected {self._source!r}"
        if source != self._source:
            return f"ce-source: {source!r} is not {self._source!r}"
        return None

    async def _process_one(self, raw: Msg, event: Event) -> None:
        try:
            async with self._unit_of_work() as uow:
                [outcome] = await self._apply(uow, [event])
                await uow.commit()
        except Exception as exc:
            self._metrics.handler_errors.labels(self.consumer, event.type).inc()
            deliveries = raw.metadata.num_delivered if raw.metadata else 1
            if deliveries >= self._max_deliver:
                reason = f"{type(exc).__name__}: {exc}"[:500]
                log.error(
                    "%s gave up on %s after %d attempts: %s",
                    self.durable,
                    event.id,
                    deliveries,
                    reason,
                )
                await self._dead_letter(raw, "failed", reason)
                return
            log.warning("%s failed on %s (attempt %d): %s", self.durable, event.id, deliveries, exc)
            await raw.nak(delay=min(30.0, 0.5 * 2**deliveries))
            return
        self._metrics.events_handled.labels(self.consumer, event.type, outcome).inc()
        await raw.ack()

    async def _apply(self, uow: UnitOfWork, events: list[Event]) -> list[str]:
        """Apply events in order, skipping those the inbox has already seen."""
        ids = [str(e.id) for e in events]
        new = await claim(uow.session, self._inbox, self.consumer, ids)
        outcomes = []
        batched: dict[Handler, list[Event]] = {h: [] for h in self._batch_handlers}
        for event, event_id in zip(events, ids, strict=True):
            if event_id not in new:
                outcomes.append("duplicate")
                continue
            new.discard(event_id)  # the same event twice in one batch: apply once
            outcomes.append("processed")
            handler = self._handlers[event.type][1]
            if handler in batched:
                batched[handler].append(event)
            else:
                await handler(event, uow)
        for handler, its_events in batched.items():
            if its_events:
                await handler(its_events, uow)
        return outcomes

    async def _dead_letter(self, raw: Msg, kind: str, reason: str) -> None:
        await dead_letter(self._broker, self.consumer, raw, kind, reason)
        self._metrics.dead_letters.labels(self.consumer, kind).inc()
        await raw.ack()


async def dead_letter(broker: NatsBroker, consumer: str, raw, kind: str, reason: str) -> None:
    """Keep the original body; say who gave up, on what, and why."""
    state = broker.config.connection_state
    js = state.stream
    # Without a Nats-Msg-Id, the stream and sequence name the message: a sequence alone is
    # shared by every stream, and the dead-letter stream would drop the second as a copy.
    original_id = (raw.headers or {}).get("Nats-Msg-Id") or (
        f"{raw.metadata.stream}:{raw.metadata.sequence.stream}"
    )
    headers = {
        "Nats-Msg-Id": f"{consumer}:{original_id}",
        "expo-original-subject": raw.subject,
        "expo-consumer": consumer,
        # A header value ends at a line break: one inside the reason would corrupt the frame.
        "expo-reason": " ".join(reason.split()),
    }
    body = raw.data
    # The dead letter carries more headers than the original: a body near the server's
    # limit no longer fits, and an oversized frame makes the server close the connection
    # for good. Such a body is cut to fit, and the dead letter says how long it was.
    room = state.connection.max_payload - _header_size(headers) - DEAD_LETTER_HEADROOM
    if len(body) > room:
        headers["expo-original-size"] = str(len(body))
        body = body[: max(0, room)]
    await js.publish(
        f"{DEAD_LETTER_PREFIX}.{consumer}.{kind}",
        body,
        stream=dead_letter_stream().name,
        headers=headers,
    )


# Room for the `expo-original-size` header and the frame's own "NATS/1.0" line.
DEAD_LETTER_HEADROOM = 128


def _header_size(headers: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) + 4 for k, v in headers.items())


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "body"
    return f"{field}: {err['msg']}"[:500]


class BusSupervisor:
    """Connects when NATS is reachable (retrying until it is), declares the streams this
    service touches, then starts the subscribers. HTTP keeps serving meanwhile."""

    def __init__(
        self, broker: NatsBroker, streams: list[str], metrics: ServiceMetrics, replicas: int = 1
    ) -> None:
        self.broker = broker
        self.services = streams
        self.metrics = metrics
        self.replicas = replicas
        self.started = asyncio.Event()

    async def run(self) -> None:
        delay = 0.2
        while not cancel_requested():
            try:
                await self.broker.connect()
                js = self.broker.config.connection_state.stream
                for service in self.services:
                    await ensure_stream(js, service_stream(service, self.replicas))
                await ensure_stream(js, dead_letter_stream(self.replicas))
                await self.broker.start()
                self.started.set()
                return
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, nats.errors.Error) as exc:
                log.warning("NATS not reachable (%s); retrying in %.1fs", exc, delay)
                await self._reset()
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)

    async def _reset(self) -> None:
        try:
            await self.broker.stop()
        except Exception:  # a half-open connection; start clean next time
            log.debug("broker reset", exc_info=True)

    def connected(self) -> bool:
        ok = self.started.is_set() and jetstream_of(self.broker) is not None
        self.metrics.nats_connected.set(1 if ok else 0)
        return ok
