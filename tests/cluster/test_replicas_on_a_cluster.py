"""Two replicas of a service on a three-node NATS cluster keep every single-process guarantee
of the outbox: each accepted change is one event, and the stream holds them in commit order,
whichever replica's relay publishes which; streams keep the replica count a cluster needs;
a hung node is left within seconds."""

import asyncio
import dataclasses
import os
import signal
import time

import pytest
from sqlalchemy import select

from shared.streams import stream_name
from tests.cluster.conftest import REPLICAS, jetstream_ready, node_serving
from tests.support import (
    eventually,
    running_service,
    service_settings,
    stream_messages,
    token,
    unit_body,
)

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("cluster")]
COMMITTEE = token("committee")
WRITES = 300


async def post_units(services, count: int, prefix: str) -> None:
    """`count` units through every replica at once."""

    async def post(i: int) -> None:
        svc = services[i % len(services)]
        answer = await svc.client.post(
            "/api/v1/units", json=unit_body(name=f"{prefix}-{i}"), headers=COMMITTEE
        )
        assert answer.status_code == 201, answer.text

    await asyncio.gather(*(post(i) for i in range(count)))


async def outbox_ids(svc) -> list[str]:
    outbox = svc.runtime.outbox
    async with svc.runtime.sessions() as session:
        rows = await session.execute(select(outbox.c.event_id).order_by(outbox.c.seq))
        return [row.event_id for row in rows]


async def drained(svc) -> bool:
    count, _age = await svc.runtime.relay.backlog()
    return count == 0


async def test_two_replicas_publish_each_change_once_in_commit_order(
    nats_cluster, databases, tmp_path, report_figure
):
    await jetstream_ready(nats_cluster.url)
    settings = service_settings(
        nats_cluster.url, var_dir=tmp_path, stream_replicas=REPLICAS, outbox_batch_size=40
    )
    async with (
        running_service("registration", settings) as first,
        running_service("registration", settings) as second,
    ):
        for burst in range(3):
            await post_units([first, second], WRITES // 3, f"单位{burst}")
        await eventually(lambda: drained(first), 60, "the outbox published everything")
        expected = await outbox_ids(first)
        assert len(expected) == WRITES
        messages = await stream_messages(nats_cluster.url, "expo.registration.>")
        published = [m.headers["Nats-Msg-Id"] for m in messages]
        assert len(published) == len(set(published)), "an event was stored twice"
        assert published == expected, "the stream's order is not the outbox's"
    report_figure(
        f"{WRITES} units through 2 replicas ({databases}): {WRITES} events, in outbox order"
    )


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # NATS, not storage
async def test_streams_take_the_replicas_of_the_settings_and_never_lose_them(
    nats_cluster, databases, tmp_path
):
    await jetstream_ready(nats_cluster.url)
    three = service_settings(nats_cluster.url, var_dir=tmp_path, stream_replicas=REPLICAS)
    async with running_service("reporting", three) as svc:  # declares all five streams
        js = svc.runtime.broker.config.connection_state.stream
        for service in ("registration", "reporting"):
            assert (await js.stream_info(stream_name(service))).config.num_replicas == 3
        # An operator sets a limit of their own on a stream.
        config = (await js.stream_info("EXPO_REPORTING")).config
        await js.update_stream(dataclasses.replace(config, max_bytes=512 * 1024 * 1024))
    one = service_settings(nats_cluster.url, var_dir=tmp_path, stream_replicas=1)
    async with running_service("reporting", one) as svc:  # a start with the default of 1
        js = svc.runtime.broker.config.connection_state.stream
        config = (await js.stream_info("EXPO_REPORTING")).config
        assert config.num_replicas == 3, "a service start lowered the stream's replicas"
        assert config.max_bytes == 512 * 1024 * 1024, "a service start undid the operator's limit"


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # NATS, not storage
async def test_a_hung_node_is_left_within_seconds(nats_cluster, databases, tmp_path, report_figure):
    await jetstream_ready(nats_cluster.url)
    settings = service_settings(nats_cluster.url, var_dir=tmp_path, stream_replicas=REPLICAS)
    async with running_service("registration", settings) as svc:
        connection = svc.runtime.broker.config.connection_state.connection
        hung = node_serving(nats_cluster, connection.connected_url)
        os.kill(hung.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            answer = await svc.client.post("/api/v1/units", json=unit_body(), headers=COMMITTEE)
            assert answer.status_code == 201  # accepted: the outbox holds it meanwhile
            unit_id = answer.json()["id"]
            others = ",".join(n.url for n in nats_cluster.nodes if n is not hung)

            async def stored() -> bool:
                if not await drained(svc):
                    return False
                messages = await stream_messages(others, "expo.registration.>")
                return any(unit_id in m.data.decode() for m in messages)

            await eventually(stored, 60, "the event reached the stream through another node")
            took = time.monotonic() - started
        finally:
            os.kill(hung.process.pid, signal.SIGCONT)
    assert took < 30, f"the hung node held the relay for {took:.0f}s"
    report_figure(f"node SIGSTOPped -> event stored through another node: {took:.1f} s")
