"""`make load`: a sustained load against the whole stack, bounded in time.

For `--minutes` (default 5), county offices register units and draft achievements at a
steady `--rate` (requests/s) while a dashboard reads reporting's status every second. Every
answer is checked (any error is counted and fails the run), each process's resident memory
is sampled every `--sample-seconds`, and at the end reporting must count every accepted unit.
Memory is "flat" when no service's last-minute mean exceeds its first-minute mean (after a
warm-up minute) by more than `--growth-limit` percent. The figures are printed and written
to docs/benchmarks.md between the load markers.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import httpx

from benchmarks.components import COUNTIES
from benchmarks.report import machine, write
from benchmarks.stack import BENCH_SECRET, Stack, rss_mb
from shared.auth import issue_token
from shared.settings import REPO_ROOT

START, END = "<!-- load:start -->", "<!-- load:end -->"
DRAIN_TIMEOUT = 120.0  # after the load stops, reporting must catch up within this


@dataclass
class Tally:
    accepted_units: int = 0
    accepted_achievements: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    rss_mb: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


@cache  # one token per role, not one per request: signing is not what is measured
def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(BENCH_SECRET, role, subject=f'load-{role}')}"}


class Load:
    def __init__(self, stack: Stack, rate: float, seconds: float, sample_every: float) -> None:
        self.urls = stack.urls
        self.pids = stack.pids()
        self.rate, self.seconds, self.sample_every = rate, seconds, sample_every
        self.tally = Tally()
        self.units: dict[str, list[str]] = {county: [] for county in COUNTIES}

    async def run(self) -> Tally:
        async with httpx.AsyncClient(timeout=30) as http:
            self.http = http
            started = time.monotonic()
            await asyncio.gather(self.writers(started), self.reader(started), self.sampler(started))
            await self.drain()
        return self.tally

    async def writers(self, started: float) -> None:
        """One request per tick, alternating counties; every third one drafts an achievement
        for a unit registered before. Requests overlap: a slow answer does not slow the rate."""
        in_flight: set[asyncio.Task] = set()
        n = 0
        while (now := time.monotonic()) - started < self.seconds:
            county = COUNTIES[n % len(COUNTIES)]
            task = asyncio.create_task(self.write(n, county))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            n += 1
            await asyncio.sleep(max(0.0, started + n / self.rate - now))
        await asyncio.gather(*in_flight)

    async def write(self, n: int, county: str) -> None:
        if n % 3 == 2 and self.units[county]:
            kind, path = "achievement", "/api/v1/achievements"
            body = {
                "unit_id": self.units[county][-1],
                "title": f"负载测试成果-{n}",
                "field": "agriculture",
                "maturity": "pilot",
                "floor_area_m2": 6,
            }
        else:
            kind, path = "unit", "/api/v1/units"
            body = {
                "county": county,
                "name": f"负载测试单位-{n}-{uuid.uuid4().hex[:6]}",
                "kind": "enterprise",
                "contact_person": "李四",
                "contact_phone": "13900139000",
            }
        headers = bearer(f"county:{county}") | {"Idempotency-Key": f"load-{n}"}
        sent = time.monotonic()
        try:
            answer = await self.http.post(
                f"{self.urls['registration']}{path}", json=body, headers=headers
            )
        except httpx.HTTPError as error:
            self.tally.errors.append(f"{kind} {n}: {type(error).__name__} {error}")
            return
        self.tally.latencies_ms.append((time.monotonic() - sent) * 1000)
        if answer.status_code != 201:
            self.tally.errors.append(f"{kind} {n}: {answer.status_code} {answer.text[:200]}")
        elif kind == "unit":
            self.tally.accepted_units += 1
            self.units[county].append(answer.json()["id"])
        else:
            self.tally.accepted_achievements += 1

    async def reader(self, started: float) -> None:
        """The coordination group's dashboard: reporting's status, once a second."""
        while time.monotonic() - started < self.seconds:
            try:
                answer = await self.http.get(
                    f"{self.urls['reporting']}/api/v1/status", headers=bearer("committee")
                )
                if answer.status_code != 200:
                    self.tally.errors.append(f"status read: {answer.status_code}")
                self.tally.reads += 1
            except httpx.HTTPError as error:
                self.tally.errors.append(f"status read: {type(error).__name__} {error}")
            await asyncio.sleep(1.0)

    async def sampler(self, started: float) -> None:
        while (elapsed := time.monotonic() - started) < self.seconds:
            for name, pid in self.pids.items():
                if (rss := rss_mb(pid)) is not None:
                    self.tally.rss_mb.setdefault(name, []).append((elapsed, rss))
            await asyncio.sleep(self.sample_every)

    async def drain(self) -> None:
        """Every accepted unit counted by reporting, or an error."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while time.monotonic() < deadline:
            answer = await self.http.get(
                f"{self.urls['reporting']}/api/v1/status", headers=bearer("committee")
            )
            if answer.json()["overall"]["units"] >= self.tally.accepted_units:
                return
            await asyncio.sleep(0.5)
        self.tally.errors.append(f"reporting did not count every unit within {DRAIN_TIMEOUT}s")


def memory_growth(samples: list[tuple[float, float]], seconds: float) -> tuple[float, float, float]:
    """(first-minute mean, last-minute mean, growth %), the first minute after a warm-up one."""
    first = [mb for t, mb in samples if 60 <= t < 120] or [mb for _t, mb in samples[:6]]
    last = [mb for t, mb in samples if t >= seconds - 60] or [mb for _t, mb in samples[-6:]]
    before, after = statistics.mean(first), statistics.mean(last)
    return before, after, (after - before) / before * 100


def report(tally: Tally, args: argparse.Namespace, elapsed: float) -> tuple[str, bool]:
    m = machine()
    lat = sorted(tally.latencies_ms)
    p = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [0.0] * 99
    flat = True
    memory_lines = []
    for name, samples in sorted(tally.rss_mb.items()):
        before, after, growth = memory_growth(samples, args.minutes * 60)
        ok = growth <= args.growth_limit
        flat &= ok or name == "nats-server"  # the server's page cache grows with the stream
        peak = max(mb for _t, mb in samples)
        memory_lines.append(
            f"| {name} | {before:.0f} MB | {after:.0f} MB | {growth:+.1f}% | {peak:.0f} MB |"
            + (" |" if ok else " grew |")
        )
    passed = not tally.errors and flat
    lines = [
        START,
        f"Measured {m.started:%Y-%m-%d %H:%M} UTC by `make load` "
        f"({args.minutes:g} min at {args.rate:g} requests/s).",
        "",
        f"- Machine: {m.cpu}, {m.cores} cores; load average before: "
        + " / ".join(f"{x:.2f}" for x in m.load_before),
        f"- Requests: {tally.accepted_units} units and {tally.accepted_achievements} "
        f"achievements accepted, {tally.reads} status reads, {len(tally.errors)} errors, "
        f"in {elapsed:.0f} s; POST answered p50 {p[49]:.0f} ms, p95 {p[94]:.0f} ms, "
        f"p99 {p[98]:.0f} ms",
        "- Reporting counted every accepted unit after the load stopped."
        if not any("reporting did not count" in e for e in tally.errors)
        else "- Reporting did NOT count every accepted unit.",
        "",
        "| process | RSS, first minute | RSS, last minute | growth | peak | |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        *memory_lines,
        "",
        f"Result: {'passed' if passed else 'FAILED'} (zero errors, memory within "
        f"+{args.growth_limit:g}% for every service).",
        *([f"- first errors: {'; '.join(tally.errors[:5])}"] if tally.errors else []),
        END,
    ]
    return "\n".join(lines), passed


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="expo-load-") as var:
        stack = Stack(Path(var))
        try:
            stack.wait_ready()
            started = time.monotonic()
            load = Load(stack, args.rate, args.minutes * 60, args.sample_seconds)
            tally = await load.run()
            elapsed = time.monotonic() - started
        finally:
            stack.stop()
    section, passed = report(tally, args, elapsed)
    print(section)
    if args.output != "-":
        write(Path(args.output), section, START, END)
    return 0 if passed else 1


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=20.0, help="write requests per second")
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument("--growth-limit", type=float, default=10.0, help="percent")
    parser.add_argument("--output", default=str(REPO_ROOT / "docs" / "benchmarks.md"))
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
