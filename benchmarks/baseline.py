"""The raw baseline: nats-py alone against JetStream, no service in between.

Publish N events one after another, awaiting each PubAck (what the outbox relay does), then
pull-consume the same N with a durable consumer (fetch in batches, ack each), on a stream
configured as the services' own (file storage, duplicate window).
"""

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nats

from benchmarks.components import COUNTIES
from shared.events import UnitRegistered, UnitRegisteredData
from shared.natsserver import NatsServer
from shared.streams import ensure_stream, service_stream

FETCH_BATCH = 100


@dataclass
class Baseline:
    publish_per_s: float
    consume_per_s: float
    publish_roundtrip_ms: float  # mean time of one publish + PubAck


def unit_events(n: int) -> list[UnitRegistered]:
    return [
        UnitRegistered(
            edition="pingliang-2020",
            actor="bench",
            data=UnitRegisteredData(
                unit_id=uuid.uuid4(),
                county=COUNTIES[i % len(COUNTIES)],
                name=f"基准单位{i}",
                kind="enterprise",
            ),
        )
        for i in range(n)
    ]


async def measure(tmp: Path, n: int) -> Baseline:
    server = NatsServer(tmp / "baseline-js").start()
    try:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            stream = service_stream("registration")
            await ensure_stream(js, stream)
            wire = [(e.subject, e.to_json(), e.headers()) for e in unit_events(n)]
            start = time.perf_counter()
            for subject, payload, headers in wire:
                await js.publish(subject, payload, headers=headers, stream=stream.name)
            published = time.perf_counter() - start

            sub = await js.pull_subscribe(
                "expo.registration.>", durable="bench_baseline", stream=stream.name
            )
            start, seen = time.perf_counter(), 0
            while seen < n:
                for msg in await sub.fetch(batch=min(FETCH_BATCH, n - seen), timeout=5):
                    await msg.ack()
                    seen += 1
            consumed = time.perf_counter() - start
        finally:
            await nc.close()
    finally:
        server.stop()
    return Baseline(n / published, n / consumed, 1000 * published / n)
