"""The outbox while NATS is away: writes keep being accepted, and every committed event
reaches the bus once NATS is back, in commit order, exactly once."""

import json

import pytest
from nats.js.errors import NotFoundError

from shared.natsserver import NatsServer, free_port
from tests.support import (
    eventually,
    metric,
    running_service,
    scrape,
    service_settings,
    stream_messages,
    token,
    unit_body,
)

pytestmark = pytest.mark.db

UNIT_EVENTS = "expo.registration.unit.registered"
BUS_TIMEOUT = 15.0


async def backlog(svc) -> float | None:
    return metric(await scrape(svc), "expo_outbox_backlog")


async def readyz(svc) -> int:
    return (await svc.client.get("/readyz")).status_code


async def unit_events(nats_url: str) -> list[dict]:
    try:
        messages = await stream_messages(nats_url, UNIT_EVENTS)
    except NotFoundError:  # the service has not declared its stream (yet)
        return []
    return [json.loads(m.data) for m in messages]


async def register(svc, name: str | None = None) -> dict:
    response = await svc.client.post(
        "/api/v1/units", json=unit_body("kongtong", name=name), headers=token("county:kongtong")
    )
    assert response.status_code == 201, response.text
    return response.json()


async def wait_until_bus_is_down(svc) -> None:
    async def not_ready():
        return await readyz(svc) == 503

    await eventually(not_ready, timeout=BUS_TIMEOUT, what="/readyz answers 503 once NATS is gone")


async def wait_for_events(nats_url: str, count: int) -> list[dict]:
    async def arrived():
        return len(await unit_events(nats_url)) >= count

    await eventually(
        arrived, timeout=BUS_TIMEOUT, what=f"{count} unit.registered event(s) on the bus"
    )
    return await unit_events(nats_url)


async def test_event_committed_while_nats_is_down_is_delivered_once_when_it_returns(
    nats_server, databases, tmp_path
):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("registration", settings) as svc:
        assert await readyz(svc) == 200
        nats_server.stop(kill=True)
        await wait_until_bus_is_down(svc)

        unit = await register(svc, name="崆峒区停电期间登记的单位")

        async def one_waiting():
            return await backlog(svc) == 1.0

        await eventually(one_waiting, timeout=BUS_TIMEOUT, what="expo_outbox_backlog 1.0")
        assert await readyz(svc) == 503
        ready = await svc.client.get("/readyz")
        checks = ready.json()["checks"]
        assert checks["database"] is True and checks["nats"] is False

        nats_server.start()  # same port, same store

        [event] = await wait_for_events(nats_server.url, 1)
        assert event["data"]["unit_id"] == unit["id"]
        assert event["data"]["name"] == "崆峒区停电期间登记的单位"

        async def drained():
            return await backlog(svc) == 0.0

        await eventually(drained, timeout=BUS_TIMEOUT, what="expo_outbox_backlog back to 0")

        async def ready_again():
            return await readyz(svc) == 200

        await eventually(ready_again, timeout=BUS_TIMEOUT, what="/readyz back to 200")
        # Still exactly one copy once everything has settled.
        assert [e["data"]["unit_id"] for e in await unit_events(nats_server.url)] == [unit["id"]]


async def test_units_posted_during_an_outage_arrive_in_commit_order_each_once(
    nats_server, databases, tmp_path
):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("registration", settings) as svc:
        before = await register(svc, name="停电前的单位")
        await wait_for_events(nats_server.url, 1)

        nats_server.stop(kill=True)
        await wait_until_bus_is_down(svc)
        during = [await register(svc, name=f"停电期间的单位-{i}") for i in range(5)]

        async def five_waiting():
            return await backlog(svc) == 5.0

        await eventually(five_waiting, timeout=BUS_TIMEOUT, what="expo_outbox_backlog 5.0")

        nats_server.start()
        await wait_for_events(nats_server.url, 6)

        async def drained():
            return await backlog(svc) == 0.0

        await eventually(drained, timeout=BUS_TIMEOUT, what="expo_outbox_backlog back to 0")
        events = await unit_events(nats_server.url)
        assert [e["data"]["unit_id"] for e in events] == [before["id"], *(u["id"] for u in during)]
        assert len({e["id"] for e in events}) == 6


async def test_service_started_before_nats_exists_accepts_writes_and_delivers_them_later(
    databases, tmp_path
):
    port = free_port()  # nothing listens here yet
    nats = NatsServer(tmp_path / "jetstream", port=port, log_file=tmp_path / "nats.log")
    settings = service_settings(nats.url, var_dir=tmp_path)
    try:
        async with running_service("registration", settings, wait_for_bus=False) as svc:
            assert (await svc.client.get("/healthz")).status_code == 200
            assert await readyz(svc) == 503

            unit = await register(svc, name="NATS之前登记的单位")
            assert await backlog(svc) == 1.0

            nats.start()

            [event] = await wait_for_events(nats.url, 1)
            assert event["data"]["unit_id"] == unit["id"]

            async def ready_and_drained():
                return await readyz(svc) == 200 and await backlog(svc) == 0.0

            await eventually(
                ready_and_drained, timeout=BUS_TIMEOUT, what="ready with an empty outbox"
            )
            assert len(await unit_events(nats.url)) == 1
    finally:
        nats.stop(kill=True)
