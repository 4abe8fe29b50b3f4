"""Services as real OS processes, killed with SIGKILL at the worst moment: nothing committed
is lost, nothing is counted twice."""

import asyncio
import json
import sqlite3
import time
import uuid

import nats
import pytest

from shared.events import UnitRegistered, UnitRegisteredData
from tests.support import eventually, stream_messages, token, unit_body
from tests.system.processes import (
    ACK_WAIT_SECONDS,
    START_TIMEOUT,
    ServiceProcess,
    process_stack,
    query,
    units_registered,
)

# One worker runs the system tests, one after another: they start whole stacks on fixed ports.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]

UNIT_EVENTS = "expo.registration.unit.registered"
TIMEOUT = 15.0


@pytest.fixture
def stack(tmp_path):
    """Registration, reporting and NATS as processes; whatever is left is killed at the end."""
    with process_stack(tmp_path) as stack:
        yield stack


async def unit_events(nats_url: str) -> list[dict]:
    return [json.loads(m.data) for m in await stream_messages(nats_url, UNIT_EVENTS)]


async def post_unit(registration: ServiceProcess, name: str) -> dict:
    async with registration.client() as client:
        response = await client.post(
            "/api/v1/units", json=unit_body("kongtong", name=name), headers=token("county:kongtong")
        )
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_event_committed_before_a_sigkill_is_published_after_the_restart(stack):
    # NATS is not there yet: the relay cannot publish.
    registration = stack.service("registration").start()
    await registration.wait("/healthz")
    unit = await post_unit(registration, "崩溃前登记的单位")

    registration.kill()

    assert query(stack.db["registration"], "SELECT name FROM units WHERE id = ?", unit["id"]) == [
        ("崩溃前登记的单位",)
    ]
    [(payload, published_at)] = query(
        stack.db["registration"], "SELECT payload, published_at FROM outbox"
    )
    assert published_at is None
    assert json.loads(payload)["data"]["unit_id"] == unit["id"]

    stack.start_nats()
    registration.start()
    await registration.wait("/readyz")

    async def published():
        return len(await unit_events(stack.nats_url)) >= 1

    await eventually(published, timeout=TIMEOUT, what="the event on the bus after the restart")

    async def marked():
        return query(
            stack.db["registration"], "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        ) == [(0,)]

    await eventually(marked, timeout=TIMEOUT, what="the outbox row marked published")
    events = await unit_events(stack.nats_url)
    assert [e["data"]["unit_id"] for e in events] == [unit["id"]]
    assert events[0]["id"] == json.loads(payload)["id"]


async def test_events_published_while_reporting_is_dead_are_counted_after_its_restart_each_once(
    stack,
):
    stack.start_nats()
    registration = stack.service("registration").start()
    reporting = stack.service("reporting").start()
    await registration.wait("/readyz")
    await reporting.wait("/readyz")

    for i in range(2):
        await post_unit(registration, f"报告服务在线时的单位-{i}")

    async def two_counted():
        return await units_registered(reporting) == 2.0

    await eventually(two_counted, timeout=TIMEOUT, what="2 units counted before the crash")

    reporting.kill()
    for i in range(3):
        await post_unit(registration, f"报告服务宕机时的单位-{i}")

    async def five_on_bus():
        return len(await unit_events(stack.nats_url)) == 5

    await eventually(
        five_on_bus, timeout=TIMEOUT, what="5 events on the bus while reporting is down"
    )

    reporting.start()
    await reporting.wait("/readyz")

    async def five_counted():
        return await units_registered(reporting) == 5.0

    await eventually(five_counted, timeout=TIMEOUT, what="all 5 units counted after the restart")

    # Nothing is left for the durable consumer, and nothing was counted twice.
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()

        async def drained():
            info = await js.consumer_info("EXPO_REGISTRATION", "reporting__EXPO_REGISTRATION")
            return info.num_pending == 0 and info.num_ack_pending == 0

        await eventually(drained, timeout=TIMEOUT, what="the durable consumer has caught up")
    finally:
        await nc.close()
    assert await units_registered(reporting) == 5.0
    assert query(stack.db["reporting"], "SELECT county, units FROM county_units") == [
        ("kongtong", 5)
    ]
    assert query(
        stack.db["reporting"], "SELECT count(*) FROM inbox WHERE consumer = 'reporting'"
    ) == [(5,)]


async def test_reporting_killed_in_the_middle_of_a_backlog_counts_every_event_once(stack):
    """SIGKILL lands between commits and acks: redelivered events must hit the inbox.

    Messages the killed process had pulled but not acked come back after the consumer's
    ack wait, shortened here to ACK_WAIT_SECONDS.
    """
    total = 500
    stack.start_nats()
    reporting = stack.service("reporting").start()
    await reporting.wait("/readyz")  # declares the stream and the durable consumer
    reporting.kill()

    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        for i in range(total):
            event = UnitRegistered(
                edition="pingliang-2020",
                actor="t",
                data=UnitRegisteredData(
                    unit_id=uuid.uuid4(), county="kongtong", name=f"积压单位-{i}", kind="enterprise"
                ),
            )
            await js.publish(
                event.subject, event.to_json(), stream="EXPO_REGISTRATION", headers=event.headers()
            )

        reporting.start()

        def counted() -> int:
            try:
                rows = query(
                    stack.db["reporting"],
                    "SELECT units FROM county_units WHERE county = 'kongtong'",
                )
            except sqlite3.OperationalError:
                return 0
            return rows[0][0] if rows else 0

        deadline = time.monotonic() + START_TIMEOUT
        # Poll tightly: the point is to kill it between its first commit and the last one.
        while counted() == 0 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        partial = counted()
        reporting.kill()
        assert 0 < partial, "reporting never started counting"

        reporting.start()
        await reporting.wait("/readyz")

        async def all_counted():
            return await units_registered(reporting) == float(total)

        # Up to ACK_WAIT_SECONDS before unacked messages are redelivered.
        await eventually(
            all_counted, timeout=ACK_WAIT_SECONDS + TIMEOUT, what=f"{total} units counted"
        )

        async def drained():
            info = await js.consumer_info("EXPO_REGISTRATION", "reporting__EXPO_REGISTRATION")
            return info.num_pending == 0 and info.num_ack_pending == 0

        await eventually(drained, timeout=TIMEOUT, what="the durable consumer has caught up")
    finally:
        await nc.close()
    assert await units_registered(reporting) == float(total)
    assert query(stack.db["reporting"], "SELECT count(*) FROM inbox") == [(total,)]
