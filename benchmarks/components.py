"""Component figures, in-process: the outbox relay, the consumer with its inbox, auto-allocation.

- outbox relay: events/s from committed outbox rows to JetStream PubAck, against raw
  sequential `js.publish` of the same payloads (target: ratio >= 0.5);
- consumer: events/s a durable consumer applies with the inbox, against a raw pull
  consumer that only acks (target: ratio >= 0.2);
- auto-allocation of 3000 achievements over 3000 booths in 8 county halls and a themed hall,
  against sorting the same inputs (the n log n any plan needs); target: at most 20x the sort
  and well under a second.
"""

import asyncio
import logging
import os
import random
import time
import uuid
from pathlib import Path

import nats

from benchmarks.report import Row
from benchmarks.stack import BENCH_SECRET
from shared.events import UnitRegistered, UnitRegisteredData
from shared.migrations import upgrade_async
from shared.natsserver import NatsServer
from shared.runtime import Runtime
from shared.settings import Settings
from shared.streams import ensure_stream, service_stream

COUNTIES = ["kongtong", "huating", "jingchuan", "lingtai", "chongxin", "zhuanglang", "jingning"]


def quiet_brokers() -> None:
    """FastStream logs a line per subscriber task at INFO when a broker stops: not wanted here."""
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("faststream"):
            logging.getLogger(name).setLevel(logging.WARNING)


def make_events(n: int) -> list[UnitRegistered]:
    return [
        UnitRegistered(
            edition="pingliang-2020",
            actor="bench",
            data=UnitRegisteredData(
                unit_id=uuid.uuid4(), county="kongtong", name=f"单位{i}", kind="enterprise"
            ),
        )
        for i in range(n)
    ]


async def raw_publish(js, events) -> float:
    start = time.perf_counter()
    for e in events:
        await js.publish(e.subject, e.to_json(), headers=e.headers(), stream="EXPO_REGISTRATION")
    return len(events) / (time.perf_counter() - start)


async def relay_publish(runtime: Runtime, events) -> float:
    async with runtime.unit_of_work() as uow:
        for e in events:
            uow.emit(e)
        await uow.commit()
    start = time.perf_counter()
    while await runtime.relay.publish_pending():
        pass
    rate = len(events) / (time.perf_counter() - start)
    assert (await runtime.relay.backlog())[0] == 0
    return rate


async def raw_consume_one_by_one(js, n: int) -> float:
    sub = await js.pull_subscribe(
        "expo.registration.>", durable="bench_raw", stream="EXPO_REGISTRATION"
    )
    start, seen = time.perf_counter(), 0
    while seen < n:
        for msg in await sub.fetch(batch=1, timeout=5):
            await msg.ack()
            seen += 1
    return n / (time.perf_counter() - start)


async def inbox_consume(nats_url: str, tmp: Path, n: int) -> float:
    url = f"sqlite+aiosqlite:///{tmp / 'reporting.db'}"
    os.environ["EXPO_REPORTING_DATABASE_URL"] = url
    try:
        await upgrade_async("reporting", url)
        from services.reporting.app import build

        app = build(Settings(nats_url=nats_url, var_dir=tmp, env="test", auth_secret=BENCH_SECRET))
        runtime: Runtime = app.state.runtime
        handled = runtime.metrics.events_handled
        async with app.router.lifespan_context(app):
            start = time.perf_counter()
            while True:
                done = sum(
                    s.value
                    for m in handled.collect()
                    for s in m.samples
                    if s.name.endswith("_total")
                )
                if done >= n:
                    break
                await asyncio.sleep(0.01)
            rate = n / (time.perf_counter() - start)
            quiet_brokers()
            return rate
    finally:
        del os.environ["EXPO_REPORTING_DATABASE_URL"]


def allocation_figures(n: int = 3000) -> tuple[float, float, int]:
    from services.exhibitions.allocation import propose
    from services.exhibitions.domain import BoothSpace, Exhibit

    rng = random.Random(7)
    counties = [*COUNTIES, "city"]
    exhibits = [
        Exhibit(
            f"a{i}",
            rng.choice(counties),
            f"t{i}",
            "approved",
            rng.choice([4, 6, 9, 12, 18, 24, 36]),
            rng.choice([0, 0, 1, 2, 5]),
        )
        for i in range(n)
    ]
    spaces = [
        BoothSpace(
            f"b{i}",
            "h",
            rng.choice([*counties, None]),
            rng.choice([6, 9, 12, 18, 24, 36]),
            rng.choice([0, 2, 5, 10]),
        )
        for i in range(n)
    ]
    start = time.perf_counter()
    sorted(exhibits, key=lambda e: (-e.floor_area_m2, -e.power_kw, e.achievement_id))
    sorted(spaces, key=lambda b: (b.area_m2, b.power_kw, b.booth_id))
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    plan = propose(exhibits, spaces)
    return time.perf_counter() - start, baseline, len(plan.placements)


async def component_rows(tmp: Path, events: int) -> list[Row]:
    """The in-process figures, each against its own raw baseline on a fresh nats-server."""
    server = NatsServer(tmp / "js").start()
    rows: list[Row] = []
    try:
        url = f"sqlite+aiosqlite:///{tmp / 'registration.db'}"
        os.environ["EXPO_REGISTRATION_DATABASE_URL"] = url
        await upgrade_async("registration", url)
        settings = Settings(nats_url=server.url, var_dir=tmp, env="test", auth_secret=BENCH_SECRET)
        from services.registration.models import metadata

        runtime = Runtime("registration", metadata, settings)
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await ensure_stream(js, service_stream("registration"))
        await runtime.bus.run()
        try:
            publish = await raw_publish(js, make_events(events))
            relayed = await relay_publish(runtime, make_events(events))
            rows.append(
                Row(
                    "outbox relay -> PubAck",
                    relayed,
                    "events/s",
                    publish,
                    "raw publish, same run",
                    relayed / publish,
                    ">= 0.5x",
                    relayed / publish >= 0.5,
                )
            )
            one_by_one = await raw_consume_one_by_one(js, 2 * events)
            consumed = await inbox_consume(server.url, tmp, 2 * events)
            rows.append(
                Row(
                    "consumer with inbox",
                    consumed,
                    "events/s",
                    one_by_one,
                    "raw fetch(1)+ack",
                    consumed / one_by_one,
                    ">= 0.2x",
                    consumed / one_by_one >= 0.2,
                )
            )
        finally:
            quiet_brokers()
            await runtime.broker.stop()
            await runtime.engine.dispose()
            await nc.close()
            del os.environ["EXPO_REGISTRATION_DATABASE_URL"]
    finally:
        server.stop()
    took, sort_time, placed = allocation_figures()
    rows.append(
        Row(
            f"auto-allocation 3000x3000 ({placed} placed)",
            took * 1000,
            "ms",
            sort_time * 1000,
            "sorting the inputs",
            took / sort_time,
            "<= 20x, < 500 ms",
            took <= 20 * sort_time and took < 0.5,
        )
    )
    return rows
