"""Prometheus metrics: one registry per service process, plus figures refreshed at scrape time.

Business figures that live in the database (counts per county, outbox backlog) are read when
Prometheus scrapes, so every replica reports the same truth and nothing drifts in memory.
HTTP requests are counted as they are served, by `HttpMetrics`.
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

Refresher = Callable[[], Awaitable[None]]

# Requests here read or write a few rows: milliseconds normally, seconds when something is wrong.
HTTP_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WRITER_WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# The route label of a request no route answered (404s, redirects, bodies refused before
# routing): one fixed value, so scanners probing random paths cannot grow the label set.
UNMATCHED_ROUTE = "unmatched"
# Prometheus scrapes and health probes come on a timer, not from people: counted, they would
# make an idle service look busy and a NATS outage look like server errors (/readyz answers
# 503), which `up` and expo_nats_connected already show.
UNCOUNTED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


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
        self.http_requests = Counter(
            "expo_http_requests",
            "HTTP requests answered, by route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "expo_http_request_duration_seconds",
            "Time from a request's arrival to its response's end",
            ["method", "route"],
            buckets=HTTP_LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.writer_wait = Histogram(
            "expo_db_writer_wait_seconds",
            "Time a unit of work waited for the process's other writers (SQLite only: "
            "writers of one process take turns on the database's single write lock)",
            buckets=WRITER_WAIT_BUCKETS,
            registry=self.registry,
        )

    def on_scrape(self, refresher: Refresher) -> None:
        self._refreshers.append(refresher)

    async def render(self) -> bytes:
        for refresh in self._refreshers:
            await refresh()
        return generate_latest(self.registry)


class HttpMetrics:
    """Counts and times every HTTP request by method, route template and status.

    A plain ASGI middleware: no request object is built and the body streams through untouched.
    """

    def __init__(self, app, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCOUNTED_PATHS:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_and_note_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            method = scope["method"] if scope["method"] in HTTP_METHODS else "other"
            route = route_template(scope)
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_duration.labels(method, route).observe(time.perf_counter() - started)


def route_template(scope: dict[str, Any]) -> str:
    """The path of the route that answered, with its parameters as names: `/api/v1/units/{unit_id}`.

    Read after the app ran, since routing fills the scope in: `route` for an API route,
    `endpoint` alone for a fixed page such as /docs (no parameters, so its path is the template).
    """
    path: str = scope["path"]
    route = scope.get("route")
    own = getattr(route, "path_format", None)
    if own is None:
        matched_a_fixed_page = "endpoint" in scope and not scope.get("path_params")
        return path if matched_a_fixed_page else UNMATCHED_ROUTE
    # A route of an included router knows its path without the router's prefix
    # ("/units/{unit_id}" under "/api/v1"). A parameter spans one segment (unless declared
    # `:path`), so the prefix is the request's segments before the route's own: the
    # router's static prefix, never a value.
    own_segments = own.count("/")
    segments = path.split("/")
    if own_segments >= len(segments) or ":path}" in getattr(route, "path", ""):
        return own
    return "/".join(segments[: len(segments) - own_segments]) + own
