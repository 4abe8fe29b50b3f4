"""Services and nats-server as real OS processes, for tests that kill and restart them."""

import asyncio
import atexit
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.clock import offset_to
from shared.natsserver import NatsServer, free_port
from shared.settings import REPO_ROOT
from tests.support import (
    PREPARATION_DAY,
    TEST_SECRET,
    database_env,
    eventually,
    metric,
    scrape,
)

# Generous: on a machine busy with other tests, importing one service alone took 11 s.
START_TIMEOUT = 90.0

# Messages pulled but not acked by a killed consumer are redelivered after this (30 s in
# production; short here so the tests do not wait).
ACK_WAIT_SECONDS = 3.0

# How long a service may take over a graceful stop (EXPO_SHUTDOWN_TIMEOUT below).
SHUTDOWN_TIMEOUT_SECONDS = 3.0


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
        # One client for all the polls: a new one loads the CA bundle, costly on a busy machine.
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:

            async def answers():
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"{self.service} exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                try:
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

    def terminate(self, within: float = SHUTDOWN_TIMEOUT_SECONDS * 4) -> int:
        """SIGTERM, as an orchestrator stops a service: returns its exit code.

        The service has its shutdown timeout for each part it stops; a process still there
        after `within` seconds did not stop gracefully and fails the test.
        """
        assert self.process is not None, f"{self.service} is not running"
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"{self.service} still running {within}s after SIGTERM:\n{self.log_tail()}"
            ) from None
        self.process = None
        return code

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


_migrated: dict[str, Path] = {}


def migrated_databases(services: Sequence[str], env: dict[str, str]) -> dict[str, Path]:
    """Empty SQLite databases at each service's latest migration, made once per test process
    and copied for each stack: a migration is a Python start-up, seconds on a busy machine."""
    missing = [service for service in services if service not in _migrated]
    if missing:
        template_dir = Path(tempfile.mkdtemp(prefix="expo-migrated-"))
        atexit.register(shutil.rmtree, template_dir, True)
        templates = {service: template_dir / f"{service}.db" for service in missing}
        # Side by side: each one is mostly waiting for imports.
        migrations = {
            service: subprocess.Popen(
                [sys.executable, "-m", "shared.cli", "migrate", service],
                env=env | {database_env(service): f"sqlite+aiosqlite:///{db}"},
                cwd=REPO_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for service, db in templates.items()
        }
        for service, migration in migrations.items():
            output, _ = migration.communicate(timeout=120)
            assert migration.returncode == 0, f"migrating {service} failed:\n{output.decode()}"
            _migrated[service] = templates[service]
    return {service: _migrated[service] for service in services}


class ProcessStack:
    """Service processes and nats-server on one store. Each database is a SQLite file, or
    with `backend="postgresql"` the PostgreSQL database the `databases` fixture prepared."""

    def __init__(self, tmp_path: Path, services: Sequence[str], backend: str = "sqlite") -> None:
        self.tmp_path = tmp_path
        self.backend = backend
        self.services: list[ServiceProcess] = []
        self.nats: list[NatsServer] = []
        self.nats_port = free_port()  # nothing listens here until a test starts NATS
        self.db = {s: tmp_path / f"{s}.db" for s in services}  # the SQLite files
        self.database_urls = {
            s: os.environ[database_env(s)]
            if backend == "postgresql"
            else f"sqlite+aiosqlite:///{self.db[s]}"
            for s in services
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXPO_")}
        self.env = env | {
            "EXPO_NATS_URL": f"nats://127.0.0.1:{self.nats_port}",
            **{database_env(s): url for s, url in self.database_urls.items()},
            "EXPO_AUTH_SECRET": TEST_SECRET,
            "EXPO_ENV": "test",
            "EXPO_CLOCK_OFFSET_DAYS": str(offset_to(PREPARATION_DAY)),
            "EXPO_VAR_DIR": str(tmp_path),
            "EXPO_OUTBOX_POLL_INTERVAL": "0.1",
            "EXPO_SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT_SECONDS),
            # Messages pulled but not acked by a killed consumer come back after this.
            "EXPO_CONSUMER_ACK_WAIT": str(ACK_WAIT_SECONDS),
        }
        if backend != "postgresql":
            for service, template in migrated_databases(list(self.db), self.env).items():
                shutil.copyfile(template, self.db[service])

    async def query(self, service: str, sql: str, **params) -> list[tuple]:
        """Rows of a service's database, read as an operator would, on either backend."""
        engine = create_async_engine(self.database_urls[service], poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return [tuple(row) for row in (await conn.execute(text(sql), params)).all()]
        finally:
            await engine.dispose()

    def query_sync(self, service: str, sql: str, **params) -> list[tuple]:
        """`query` from a thread of its own (not from a running event loop)."""
        return asyncio.run(self.query(service, sql, **params))

    @property
    def nats_url(self) -> str:
        return self.env["EXPO_NATS_URL"]

    def start_nats(self) -> NatsServer:
        """Starts nats-server on the stack's port and store (again, after a stop or a kill)."""
        server = NatsServer(
            self.tmp_path / "jetstream", port=self.nats_port, log_file=self.tmp_path / "nats.log"
        )
        self.nats.append(server.start())
        return server

    def stop_nats(self, kill: bool = False) -> None:
        """SIGKILL (kill=True) or SIGTERM every nats-server this stack started."""
        for server in self.nats:
            server.stop(kill=kill)

    def service(self, name: str) -> ServiceProcess:
        svc = ServiceProcess(name, self.env, self.tmp_path)
        self.services.append(svc)
        return svc

    def kill_everything(self) -> None:
        for svc in self.services:
            svc.kill()
        self.stop_nats(kill=True)


@contextlib.contextmanager
def process_stack(
    tmp_path: Path,
    services: Sequence[str] = ("registration", "reporting"),
    backend: str = "sqlite",
) -> Iterator[ProcessStack]:
    """A stack whose processes are all killed at the end, whatever the test did."""
    stack = ProcessStack(tmp_path, services, backend)
    try:
        yield stack
    finally:
        stack.kill_everything()


def query(db: Path, sql: str, *args) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        return conn.execute(sql, args).fetchall()


async def units_registered(reporting: ServiceProcess, county: str = "kongtong") -> float | None:
    async with reporting.client() as client:
        exposition = await scrape(client)
    return metric(exposition, "expo_units_registered", county=county)
