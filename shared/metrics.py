"""Prometheus metrics: one registry per service process, plus figures refreshed at scrape time.

Business figures that live in the database (counts per county, outbox backlog) are read when
Prometheus scrapes, so every replica reports the same truth and nothing drifts in memory.
"""

from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

Refresher = Callable[[], Awaitable[None]]


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self._refreshers: list[Refresher] = []
        self.outbox_backlog = Gauge(
            "expo_outbox_backlog",
            "Committed events not yet acked by JetStream",
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            "expo_outbox_oldest_age_seconds",
            "Age of the oldest unpublished event",
            registry=self.registry,
        )
        self.outbox_published = Counter(
            "expo_outbox_published",
            "Events published from the outbox and acked",
            registry=self.registry,
        )
        self.outbox_publish_errors = Counter(
            "expo_outbox_publish_errors",
            "Outbox relay rounds that failed and were retried",
            registry=self.registry,
        )
        self.events_handled = Counter(
            "expo_events_handled",
            "Events a consumer processed (duplicates included)",
            ["consumer", "type", "outcome"],
            registry=self.registry,
        )
        self.handler_errors = Counter(
            "expo_event_handler_errors",
            "Event handler failures (the message is retried later)",
            ["consumer", "type"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "expo_dead_letters",
            "Messages sent to the dead-letter stream",
            ["consumer", "reason"],
            registry=self.registry,
        )
        self.nats_connected = Gauge(
            "expo_nats_connected", "1 when connected to NATS", registry=self.registry
        )
        self.consumer_pending = Gauge(
            "expo_consumer_pending",
            "Events a durable consumer has not processed yet (its lag)",
            ["consumer", "stream"],
            registry=self.registry,
        )

    def on_scrape(self, refresher: Refresher) -> None:
        self._refreshers.append(refresher)

    async def render(self) -> bytes:
        for refresh in self._refreshers:
            await refresh()
        return generate_latest(self.registry)
