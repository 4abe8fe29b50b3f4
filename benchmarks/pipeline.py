"""The pipeline: county submissions over HTTP until reporting counts them, on real processes.

Each submission is `POST /api/v1/units` to registration with the county's own token and an
Idempotency-Key, as a county office's client sends it. Its unit.registered event goes through
registration's outbox and relay to JetStream, then reporting's durable consumer applies it.

How visibility is timed, per submission:
- an independent core-NATS subscription on `expo.registration.unit.registered` records the
  order in which the events enter the stream (one relay publishes them, in order);
- a poller asks reporting `GET /api/v1/status/units` back to back (every `poll_interval`)
  and records (time the answer arrived, units counted over all counties);
- reporting's consumer applies a stream in order, so once it counts k units the first k
  events of the stream are visible. A submission whose event is k-th is visible at the
  first poll that counted at least k; its latency is from the moment its POST was sent to
  that answer. This overstates each latency by up to one poll round (reported as well).
"""

import asyncio
import bisect
import json
import statistics
import time
import uuid
from dataclasses import dataclass, field

import httpx
import nats

from benchmarks.components import COUNTIES
from shared.auth import issue_token

SUBJECT = "expo.registration.unit.registered"
IN_FLIGHT_CAP = 256  # the paced phase never holds more requests open than this


@dataclass
class Phase:
    name: str
    submitted: int = 0
    failed: int = 0
    started: float = 0.0
    http_done: float = 0.0
    visible_done: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    to_bus_ms: list[float] = field(default_factory=list)
    http_ms: list[float] = field(default_factory=list)
    offered_rate: float | None = None

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / (self.visible_done - self.started)

    @property
    def http_rate(self) -> float:
        return self.submitted / (self.http_done - self.started)

    def percentile(self, q: int, values: list[float] | None = None) -> float:
        data = self.latencies_ms if values is None else values
        if len(data) < 2:
            return data[0] if data else float("nan")
        return statistics.quantiles(data, n=100, method="inclusive")[q - 1]


class Observer:
    """Stream order from an independent subscriber; reporting's count from a poller."""

    def __init__(self, nats_url: str, reporting_url: str, token: str, poll_interval: float):
        self.nats_url = nats_url
        self.reporting_url = reporting_url
        self.token = token
        self.poll_interval = poll_interval
        self.position: dict[str, int] = {}  # unit id -> 1-based place in the stream
        self.on_bus: dict[str, float] = {}
        self.poll_times: list[float] = []
        self.poll_counts: list[int] = []
        self.poll_round_ms: list[float] = []
        self._stop = asyncio.Event()

    async def __aenter__(self) -> "Observer":
        self._nc = await nats.connect(self.nats_url)
        await self._nc.subscribe(SUBJECT, cb=self._seen)
        await self._nc.flush()
        self._http = httpx.AsyncClient(timeout=10)
        self._poller = asyncio.create_task(self._poll())
        return self

    async def __aexit__(self, *exc) -> None:
        self._stop.set()
        await self._poller
        await self._http.aclose()
        await self._nc.close()

    async def _seen(self, msg) -> None:
        unit_id = json.loads(msg.data)["data"]["unit_id"]
        if unit_id not in self.position:  # a copy re-sent by the relay keeps the first place
            self.position[unit_id] = len(self.position) + 1
            self.on_bus[unit_id] = time.perf_counter()

    async def _poll(self) -> None:
        url = f"{self.reporting_url}/api/v1/status/units"
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self._stop.is_set():
            asked = time.perf_counter()
            try:
                response = await self._http.get(url, headers=headers)
                count = sum(response.json().values()) if response.status_code == 200 else None
            except httpx.HTTPError:
                count = None
            answered = time.perf_counter()
            if count is not None:
                self.poll_times.append(answered)
                self.poll_counts.append(max(count, self.poll_counts[-1] if self.poll_counts else 0))
                self.poll_round_ms.append(1000 * (answered - asked))
            await asyncio.sleep(self.poll_interval)

    def counted(self) -> int:
        return self.poll_counts[-1] if self.poll_counts else 0

    def visible_at(self, unit_id: str) -> float | None:
        place = self.position.get(unit_id)
        if place is None:
            return None
        i = bisect.bisect_left(self.poll_counts, place)
        return self.poll_times[i] if i < len(self.poll_counts) else None


class Submitter:
    def __init__(self, registration_url: str, secret: str, connections: int) -> None:
        self.url = f"{registration_url}/api/v1/units"
        self.tokens = {
            c: issue_token(secret, f"county:{c}", subject=f"bench-{c}") for c in COUNTIES
        }
        self.http = httpx.AsyncClient(
            timeout=30,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        self.sequence = 0

    async def submit(self, phase: Phase, sent: dict[str, float]) -> None:
        self.sequence += 1
        county = COUNTIES[self.sequence % len(COUNTIES)]
        body = {
            "county": county,
            "name": f"基准参展单位-{self.sequence}",
            "kind": "enterprise",
            "contact_person": "张三",
            "contact_phone": "13800138000",
        }
        headers = {
            "Authorization": f"Bearer {self.tokens[county]}",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        start = time.perf_counter()
        try:
            response = await self.http.post(self.url, json=body, headers=headers)
        except httpx.HTTPError:
            phase.failed += 1
            return
        done = time.perf_counter()
        phase.submitted += 1
        if response.status_code != 201:
            phase.failed += 1
            return
        sent[response.json()["id"]] = start
        phase.http_ms.append(1000 * (done - start))
        phase.http_done = max(phase.http_done, done)


async def closed_loop(submitter: Submitter, phase: Phase, n: int, concurrency: int, sent) -> None:
    """`concurrency` clients, each sending its next submission as soon as one is answered."""
    remaining = iter(range(n))

    async def client() -> None:
        for _ in remaining:
            await submitter.submit(phase, sent)

    await asyncio.gather(*(client() for _ in range(concurrency)))


async def open_loop(submitter: Submitter, phase: Phase, n: int, rate: float, sent) -> None:
    """Submissions sent at a steady rate whatever the answers take (up to IN_FLIGHT_CAP open)."""
    cap = asyncio.Semaphore(IN_FLIGHT_CAP)
    start = time.perf_counter()

    async def one() -> None:
        async with cap:
            await submitter.submit(phase, sent)

    tasks = []
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)


async def run_phase(
    name: str,
    submitter: Submitter,
    observer: Observer,
    n: int,
    *,
    concurrency: int | None = None,
    rate: float | None = None,
    timeout: float = 300,  # noqa: ASYNC109 - a deadline for reporting to catch up
) -> Phase:
    phase = Phase(name, offered_rate=rate)
    sent: dict[str, float] = {}
    phase.started = time.perf_counter()
    if rate is None:
        await closed_loop(submitter, phase, n, concurrency or 1, sent)
    else:
        await open_loop(submitter, phase, n, rate, sent)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(observer.visible_at(unit_id) is not None for unit_id in sent):
            break
        await asyncio.sleep(0.02)
    else:
        raise TimeoutError(f"{name}: reporting did not count every submission in {timeout}s")
    for unit_id, start in sent.items():
        visible = observer.visible_at(unit_id)
        assert visible is not None
        phase.latencies_ms.append(1000 * (visible - start))
        phase.to_bus_ms.append(1000 * (observer.on_bus[unit_id] - start))
        phase.visible_done = max(phase.visible_done, visible)
    return phase
