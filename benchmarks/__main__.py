"""`make bench`: the platform's costs as ratios against raw baselines, measured in one run.

- outbox relay: events/s from committed outbox rows to JetStream PubAck, against raw
  sequential `js.publish` of the same payloads (target: ratio >= 0.5);
- consumer: events/s a durable consumer applies with the inbox, against a raw pull
  consumer that only acks (target: ratio >= 0.2);
- auto-allocation of 3000 achievements over 3000 booths in 8 county halls and a themed hall,
  against sorting the same inputs (the n log n any plan needs); target: at most 20x the sort
  and well under a second.
Timings never fail anything; the ratios are what to watch.
"""

import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nats

from shared.events import UnitRegistered, UnitRegisteredData
from shared.migrations import upgrade_async
from shared.natsserver import NatsServer
from shared.runtime import Runtime
from shared.settings import Settings
from shared.streams import ensure_stream, service_stream

EVENTS = int(os.environ.get("EXPO_BENCH_EVENTS", "3000"))


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


async def raw_consume(js, n: int) -> float:
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
    os.environ["EXPO_REPORTING_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'reporting.db'}"
    await upgrade_async("reporting", os.environ["EXPO_REPORTING_DATABASE_URL"])
    from services.reporting.app import build

    app = build(Settings(nats_url=nats_url, var_dir=tmp, env="test"))
    runtime: Runtime = app.state.runtime
    handled = runtime.metrics.events_handled
    async with app.router.lifespan_context(app):
        start = time.perf_counter()
        while True:
            done = sum(
                s.value for m in handled.collect() for s in m.samples if s.name.endswith("_total")
            )
            if done >= n:
                break
            await asyncio.sleep(0.01)
        return n / (time.perf_counter() - start)


def allocation_figures(n: int = 3000) -> tuple[float, float, int]:
    import random

    from services.exhibitions.allocation import propose
    from services.exhibitions.domain import BoothSpace, Exhibit

    rng = random.Random(7)
    counties = [
        "kongtong",
        "huating",
        "jingchuan",
        "lingtai",
        "chongxin",
        "zhuanglang",
        "jingning",
        "city",
    ]
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


def report(name: str, measured: float, baseline: float, target: float) -> None:
    ratio = measured / baseline
    verdict = "ok" if ratio >= target else "BELOW TARGET"
    print(
        f"{name:<28} {measured:>9.0f}/s   baseline {baseline:>9.0f}/s   "
        f"ratio {ratio:.2f} (target >= {target}) {verdict}"
    )


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        server = NatsServer(tmp / "js").start()
        try:
            os.environ["EXPO_REGISTRATION_DATABASE_URL"] = (
                f"sqlite+aiosqlite:///{tmp / 'registration.db'}"
            )
            await upgrade_async("registration", os.environ["EXPO_REGISTRATION_DATABASE_URL"])
            settings = Settings(nats_url=server.url, var_dir=tmp, env="test")
            from services.registration.models import metadata

            runtime = Runtime("registration", metadata, settings)
            nc = await nats.connect(server.url)
            js = nc.jetstream()
            await ensure_stream(js, service_stream("registration"))
            await runtime.bus.run()
            print(f"{EVENTS} events per measurement, SQLite, nats-server on loopback\n")
            baseline = await raw_publish(js, make_events(EVENTS))
            measured = await relay_publish(runtime, make_events(EVENTS))
            report("outbox relay -> JetStream", measured, baseline, 0.5)

            consume_baseline = await raw_consume(js, 2 * EVENTS)
            consumed = await inbox_consume(server.url, tmp, 2 * EVENTS)
            report("consumer with inbox", consumed, consume_baseline, 0.2)
            took, sort_time, placed = allocation_figures()
            verdict = "ok" if took <= 20 * sort_time and took < 0.5 else "BELOW TARGET"
            print(
                f"{'auto-allocation 3000x3000':<28} {took * 1000:>8.1f} ms   "
                f"sorting the inputs {sort_time * 1000:.1f} ms   "
                f"ratio {took / sort_time:.1f}x (target <= 20x, < 500 ms) {verdict}; {placed} placed"
            )
            await runtime.broker.stop()
            await runtime.engine.dispose()
            await nc.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
