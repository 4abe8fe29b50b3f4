"""Helpers the tests share: running a service in-process, waiting for outcomes, reading the bus."""

import asyncio
import os
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date

import httpx
import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from shared.auth import issue_token
from shared.clock import offset_to
from shared.migrations import upgrade_async
from shared.nats_options import connection_options
from shared.runtime import Runtime
from shared.settings import Settings

# Made anew by every test process: nothing in the repository can sign a token a stack accepts.
TEST_SECRET = secrets.token_urlsafe(32)
PREPARATION_DAY = date(2020, 8, 1)


def service_settings(nats_url: str, **overrides) -> Settings:
    values = {
        "env": "test",
        "nats_url": nats_url,
        "auth_secret": TEST_SECRET,
        "outbox_poll_interval": 0.1,
        "rehearsal": True,  # the tests move reporting's clock
        "shutdown_timeout": 3.0,
        # Inside the demo edition's preparation period, before the registration freeze.
        "clock_offset_days": offset_to(PREPARATION_DAY),
    } | overrides
    return Settings(**values)


def token(role: str, subject: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET, role, subject or role)}"}


@dataclass
class RunningService:
    client: httpx.AsyncClient
    runtime: Runtime


@asynccontextmanager
async def running_service(service: str, settings: Settings, wait_for_bus: bool = True):
    """The service's real ASGI app with its lifespan: real DB, real NATS, in this process."""
    import importlib

    await upgrade_async(service, settings.database_url(service))
    app = importlib.import_module(f"services.{service}.app").build(settings)
    runtime: Runtime = app.state.runtime
    async with app.router.lifespan_context(app):
        if wait_for_bus:
            await asyncio.wait_for(runtime.bus.started.wait(), 15)
            # Ready as /readyz says it: the revoked tokens are known before the first request.
            await asyncio.wait_for(runtime.revoked_tokens.loaded.wait(), 15)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            yield RunningService(client, runtime)


async def scrape(service: RunningService | httpx.AsyncClient, url: str = "") -> str:
    """The Prometheus exposition of a service, read as Prometheus reads it: with an ops token.
    `service` is an in-process service or a client; `url`, the service's, if the client has none.
    """
    client = service.client if isinstance(service, RunningService) else service
    response = await client.get(f"{url}/metrics", headers=token("ops", "prometheus"))
    assert response.status_code == 200, response.text
    return response.text


async def eventually(
    check: Callable[[], Awaitable[bool]],
    timeout: float = 10.0,  # noqa: ASYNC109 - a polling deadline, not a cancellation scope
    what: str = "",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true after {timeout}s: {what or check}")


async def stream_messages(nats_url: str, subject: str, settle: float = 0.3) -> list:
    """Every message stored on `subject` (JetStream), read by an independent client (any
    server of a cluster will do: `nats_url` may list several, with credentials)."""
    nc = await nats.connect(**connection_options(nats_url))
    try:
        js = nc.jetstream()
        sub = await js.subscribe(
            subject,
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        messages = []
        while True:
            try:
                messages.append(await sub.next_msg(timeout=settle))
            except TimeoutError:
                return messages
    finally:
        await nc.close()


def unit_body(county: str = "kongtong", name: str | None = None, **overrides) -> dict:
    return {
        "county": county,
        "name": name or f"平凉测试单位-{uuid.uuid4().hex[:6]}",
        "kind": "enterprise",
        "contact_person": "张三",
        "contact_phone": "13800138000",
    } | overrides


def achievement_body(unit_id: str, **overrides) -> dict:
    """A county's draft achievement for `POST /api/v1/achievements`."""
    return {
        "unit_id": unit_id,
        "title": "旱作农业全膜双垄沟播技术",
        "field": "agriculture",
        "summary": "在崆峒区推广十万亩，增产两成。",
        "maturity": "pilot",
        "patents": ["CN201910000001.X"],
        "floor_area_m2": 12,
        "power_kw": 3,
        "live_demo": True,
    } | overrides


PROBLEM = "application/problem+json"


def assert_problem(response, status: int, field: str | None = None, rule: str | None = None):
    """The answer is a problem+json refusal of `status`, naming `field` and `rule` if given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    if rule is not None:
        assert problem.get("rule") == rule, problem
    return problem


def database_env(service: str) -> str:
    return f"EXPO_{service.upper()}_DATABASE_URL"


def pg_admin_url() -> str | None:
    return os.environ.get("EXPO_TEST_DATABASE_URL") or None


def metric(text: str, sample_name: str, **labels: str) -> float | None:
    """The value of one sample in a Prometheus exposition, or None when it is absent."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == sample_name and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                return sample.value
    return None
