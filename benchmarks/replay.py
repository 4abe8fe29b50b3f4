"""Replay: `expo rebuild reporting` over a stream of many events, timed as a person runs it.

The events are valid registration events from shared/events (a fifth unit.registered, the
rest achievements going drafted -> updated -> submitted -> approved), published raw and
pipelined to a fresh nats-server. The command is run twice: once over empty streams (its
fixed cost: start-up, connecting, shutting down) and once over the full stream. The result
is checked against what the events say before the figure counts.
"""

import asyncio
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nats

from benchmarks.components import COUNTIES
from benchmarks.stack import clean_env, peak_rss_mb
from shared.events import (
    AchievementApproved,
    AchievementData,
    AchievementDrafted,
    AchievementSubmitted,
    AchievementUpdated,
    DisplayNeeds,
    Event,
    UnitRegistered,
    UnitRegisteredData,
)
from shared.migrations import upgrade_async
from shared.natsserver import NatsServer
from shared.settings import REPO_ROOT
from shared.streams import ensure_stream, service_stream

PUBLISH_WINDOW = 1000  # PubAcks awaited together
LIFECYCLE = [
    (AchievementDrafted, "draft"),
    (AchievementUpdated, "draft"),
    (AchievementSubmitted, "submitted"),
    (AchievementApproved, "approved"),
]


@dataclass
class Replay:
    events: int
    units: int
    achievements: int
    publish_per_s: float
    empty_seconds: float  # the command over empty streams
    seconds: float  # the command over the full stream
    peak_rss_mb: float

    @property
    def per_s(self) -> float:
        return self.events / self.seconds


def replay_events(n: int) -> tuple[list[Event], int, int]:
    units = max(1, n // 5)
    achievements = max(0, (n - units) // len(LIFECYCLE))
    units += n - units - achievements * len(LIFECYCLE)  # make the total exactly n
    events: list[Event] = []
    display = DisplayNeeds(floor_area_m2=9.0, power_kw=1.0, live_demo=False)
    for i in range(units):
        county = COUNTIES[i % len(COUNTIES)]
        unit_id = uuid.uuid4()
        name = f"回放单位{i}"
        events.append(
            UnitRegistered(
                edition="pingliang-2020",
                actor="bench",
                data=UnitRegisteredData(
                    unit_id=unit_id, county=county, name=name, kind="enterprise"
                ),
            )
        )
        if i >= achievements:
            continue
        achievement_id = uuid.uuid4()
        for version, (kind, status) in enumerate(LIFECYCLE, start=1):
            data = AchievementData(
                achievement_id=achievement_id,
                version=version,
                unit_id=unit_id,
                unit_name=name,
                county=county,
                title=f"回放成果{i}",
                field="agriculture",
                maturity="pilot",
                status=status,
                display=display,
            )
            events.append(kind(edition="pingliang-2020", actor="bench", data=data))
    return events, units, achievements


async def publish_all(url: str, events: list[Event]) -> float:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        stream = service_stream("registration")
        await ensure_stream(js, stream)
        wire = [(e.subject, e.to_json(), e.headers()) for e in events]
        start = time.perf_counter()
        for i in range(0, len(wire), PUBLISH_WINDOW):
            window = wire[i : i + PUBLISH_WINDOW]
            # in order: each window waits for the previous one's acks
            await asyncio.gather(
                *(js.publish(s, p, headers=h, stream=stream.name, timeout=30) for s, p, h in window)
            )
        return len(wire) / (time.perf_counter() - start)
    finally:
        await nc.close()


def run_rebuild(var_dir: Path, nats_url: str) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `expo rebuild reporting` run as a separate process.

    The peak is the process's own VmHWM, read while it runs (the rusage of a child would
    count the pages it shared with this process before exec)."""
    env = clean_env(EXPO_VAR_DIR=str(var_dir), EXPO_NATS_URL=nats_url, EXPO_DEMO="false")
    log = open(var_dir / "rebuild.log", "ab")
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "rebuild", "reporting"],
        env=env,
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, peak_rss_mb(process.pid) or 0.0)
        time.sleep(0.1)
    took = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"expo rebuild reporting failed; see {var_dir / 'rebuild.log'}")
    return took, peak


def check(var_dir: Path, units: int, achievements: int) -> None:
    with sqlite3.connect(var_dir / "reporting.db") as db:
        counted = db.execute("SELECT coalesce(sum(units), 0) FROM county_units").fetchone()[0]
        approved = db.execute(
            "SELECT count(*) FROM achievements WHERE status = 'approved' AND version = ?",
            (len(LIFECYCLE),),
        ).fetchone()[0]
    if (counted, approved) != (units, achievements):
        raise AssertionError(
            f"rebuilt projections say {counted} units and {approved} approved achievements; "
            f"the events say {units} and {achievements}"
        )


async def measure(tmp: Path, n: int) -> Replay:
    var_dir = tmp / "replay"
    var_dir.mkdir()
    server = NatsServer(var_dir / "js").start()
    try:
        await upgrade_async("reporting", f"sqlite+aiosqlite:///{var_dir / 'reporting.db'}")
        empty_seconds, _ = await asyncio.to_thread(run_rebuild, var_dir, server.url)
        events, units, achievements = replay_events(n)
        publish_rate = await publish_all(server.url, events)
        del events
        seconds, peak = await asyncio.to_thread(run_rebuild, var_dir, server.url)
        check(var_dir, units, achievements)
    finally:
        server.stop()
    return Replay(n, units, achievements, publish_rate, empty_seconds, seconds, peak)
