"""Services as real OS processes, killed with SIGKILL at the worst moment: nothing committed
is lost, nothing is counted twice."""

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import nats
import pytest

from shared.clock import offset_to
from shared.events import UnitRegistered, UnitRegisteredData
from shared.natsserver import NatsServer, free_port
from shared.settings import REPO_ROOT
from tests.support import (
    PREPARATION_DAY,
    TEST_SECRET,
    eventually,
    metric,
    stream_messages,
    token,
    unit_body,
)

# One worker runs the system tests, one after another: they start whole stacks on fixed ports.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]

UNIT_EVENTS = "expo.registration.unit.registered"
TIMEOUT = 15.0
START_TIMEOUT = 30.0

# Messages pulled but not acked by a killed consumer are redelivered after this (30 s in
# production; short here so the test does not wait).
ACK_WAIT_SECONDS = 3.0


class ServiceProcess:
    """`python -m shared.cli serve <service>` on a free port, logging to a file."""

    def __init__(self, service: str, env: dict[str, str], log_dir: Path) -> None:
        self.service = service
        self.env = env
        self.log_file = log_dir / f"{service}.log"
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ServiceProcess":
        self.port = free_port()
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "shared.cli",
                    "serve",
                    self.service,
                    "--port",
                    str(self.port),
                ],
                env=self.env,
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    async def wait(self, path: str = "/healthz", within: float = START_TIMEOUT) -> None:
        async def answers():
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.service} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
                    return (await client.get(path)).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(answers, timeout=within, what=f"{self.service} {path} answers 200")

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, no goodbye."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@pytest.fixture
def stack(tmp_path):
    """Builds service processes and NATS servers, and kills whatever is left at the end."""

    class Stack:
        def __init__(self) -> None:
            self.services: list[ServiceProcess] = []
            self.nats: list[NatsServer] = []
            self.nats_port = free_port()  # nothing listens here until a test starts NATS
            self.db = {s: tmp_path / f"{s}.db" for s in ("registration", "reporting")}
            env = {k: v for k, v in os.environ.items() if not k.startswith("EXPO_")}
            self.env = env | {
                "EXPO_NATS_URL": f"nats://127.0.0.1:{self.nats_port}",
                "EXPO_REGISTRATION_DATABASE_URL": f"sqlite+aiosqlite:///{self.db['registration']}",
                "EXPO_REPORTING_DATABASE_URL": f"sqlite+aiosqlite:///{self.db['reporting']}",
                "EXPO_AUTH_SECRET": TEST_SECRET,
                "EXPO_ENV": "test",
                "EXPO_CLOCK_OFFSET_DAYS": str(offset_to(PREPARATION_DAY)),
                "EXPO_VAR_DIR": str(tmp_path),
                "EXPO_OUTBOX_POLL_INTERVAL": "0.1",
                "EXPO_SHUTDOWN_TIMEOUT": "3",
                # Messages pulled but not acked by a killed consumer come back after this.
                "EXPO_CONSUMER_ACK_WAIT": str(ACK_WAIT_SECONDS),
            }
            for service in self.db:
                subprocess.run(
                    [sys.executable, "-m", "shared.cli", "migrate", service],
                    env=self.env,
                    cwd=REPO_ROOT,
                    check=True,
                    capture_output=True,
                )

        @property
        def nats_url(self) -> str:
            return self.env["EXPO_NATS_URL"]

        def start_nats(self) -> NatsServer:
            server = NatsServer(
                tmp_path / "jetstream", port=self.nats_port, log_file=tmp_path / "nats.log"
            )
            self.nats.append(server.start())
            return server

        def service(self, name: str) -> ServiceProcess:
            svc = ServiceProcess(name, self.env, tmp_path)
            self.services.append(svc)
            return svc

    stack = Stack()
    try:
        yield stack
    finally:
        for svc in stack.services:
            svc.kill()
        for server in stack.nats:
            server.stop(kill=True)


async def unit_events(nats_url: str) -> list[dict]:
    return [json.loads(m.data) for m in await stream_messages(nats_url, UNIT_EVENTS)]


async def post_unit(registration: ServiceProcess, name: str) -> dict:
    async with registration.client() as client:
        response = await client.post(
            "/api/v1/units", json=unit_body("kongtong", name=name), headers=token("county:kongtong")
        )
    assert response.status_code == 201, response.text
    return response.json()


async def units_registered(reporting: ServiceProcess, county: str = "kongtong") -> float | None:
    async with reporting.client() as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    return metric(response.text, "expo_units_registered", county=county)


def query(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


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
