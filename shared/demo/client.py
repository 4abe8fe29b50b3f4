"""Requests of the demo load: a token per role, an Idempotency-Key per step, a tally."""

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from shared.auth import issue_token
from shared.edition import Edition

# A few requests in flight per service keep the load quick without long queues on SQLite's
# single writer.
CONCURRENCY = 4

logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would drown the output


class DemoError(RuntimeError):
    pass


@dataclass
class Tally:
    """What the load did: records created, by kind; requests that changed something; replays."""

    entered: Counter = field(default_factory=Counter)
    changes: int = 0
    replayed: int = 0


class DemoClient:
    def __init__(
        self, http: httpx.AsyncClient, urls: dict[str, str], edition: Edition, secret: str
    ) -> None:
        self.http = http
        self.urls = urls
        self.edition = edition
        self.secret = secret
        self.tally = Tally()
        self.ids: dict[str, str] = {}  # a record's key in the demo file → the id it was given
        self._in_flight = {service: asyncio.Semaphore(CONCURRENCY) for service in urls}
        self._tokens: dict[str, str] = {}

    def group(self, responsibility: str) -> str:
        """The working group the edition makes responsible, e.g. group:registration."""
        return f"group:{getattr(self.edition.responsibilities, responsibility)}"

    def headers(self, role: str, key: str | None = None) -> dict[str, str]:
        if role not in self._tokens:
            # A stable subject per role: services remember idempotency keys per caller.
            subject = f"demo-{role.replace(':', '-')}"
            self._tokens[role] = issue_token(self.secret, role, subject=subject)
        headers = {"Authorization": f"Bearer {self._tokens[role]}"}
        if key:
            headers["Idempotency-Key"] = f"demo:{key}"
        return headers

    async def post(
        self,
        service: str,
        path: str,
        role: str,
        key: str,
        body: dict | None = None,
        counts_as: str = "",
        count: int = 1,
    ) -> Any:
        """POST as `role`; `counts_as` names what a first (not replayed) answer adds."""
        async with self._in_flight[service]:
            response = await self.http.post(
                f"{self.urls[service]}/api/v1{path}",
                json=body or {},
                headers=self.headers(role, key),
            )
        if response.status_code >= 400:
            raise DemoError(f"{service} refused {key} ({path}): {response.text}")
        if response.headers.get("Idempotent-Replayed") == "true":
            self.tally.replayed += 1
        else:
            self.tally.changes += 1
            if counts_as:
                self.tally.entered[counts_as] += count
        return response.json()

    async def get(self, service: str, path: str, role: str, **params) -> Any:
        response = await self.http.get(
            f"{self.urls[service]}/api/v1{path}", params=params, headers=self.headers(role)
        )
        if response.status_code >= 400:
            raise DemoError(f"{service} refused GET {path}: {response.text}")
        return response.json()

    async def samples(self, service: str, name: str) -> list[float]:
        """The values of one metric on a service's /metrics (read with an ops token), one per
        label set."""
        response = await self.http.get(f"{self.urls[service]}/metrics", headers=self.headers("ops"))
        response.raise_for_status()
        return [
            sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
            if sample.name == name
        ]

    async def settled(self) -> bool:
        """Every service has published its events and reporting has consumed all of them."""
        for service in self.urls:
            if any(await self.samples(service, "expo_outbox_backlog")):
                return False
        lags = await self.samples("reporting", "expo_consumer_pending")
        return bool(lags) and not any(lags)


async def each(steps: Iterable[Awaitable]) -> None:
    await asyncio.gather(*steps)
