"""A second baseline for the pipeline: the least an HTTP submission that is kept can cost here.

A bare Starlette app on uvicorn (as the services are served) whose one route takes the unit's
JSON and inserts it into SQLite (WAL, synchronous=NORMAL, as the services' databases), one
transaction per request, through aiosqlite, then answers 201 with its id. No token, no
validation, no idempotency, no outbox, no events. The pipeline's clients drive it the same
way, so `pipeline / this` says what ExpoOps adds to the work any such service must do, where
the raw JetStream publish says what the bus alone could carry.

Run by `make bench` as its own process: `python -m benchmarks.http_baseline PORT DB`.
"""

import asyncio
import socket
import subprocess
import sys
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks import pipeline
from benchmarks.stack import clean_env
from shared.natsserver import free_port
from shared.settings import REPO_ROOT

WARM_UP = 50


def app(db_path: Path) -> Starlette:
    state: dict[str, aiosqlite.Connection] = {}
    writer = asyncio.Lock()  # one writer at a time, as the services queue theirs

    @asynccontextmanager
    async def lifespan(_app):
        db = await aiosqlite.connect(db_path)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute(
            "CREATE TABLE IF NOT EXISTS units (id TEXT PRIMARY KEY, county TEXT, name TEXT, "
            "kind TEXT, contact_person TEXT, contact_phone TEXT)"
        )
        await db.commit()
        state["db"] = db
        yield
        await db.close()

    async def register(request: Request) -> JSONResponse:
        unit = await request.json()
        unit_id = str(uuid.uuid4())
        async with writer:
            await state["db"].execute(
                "INSERT INTO units VALUES (?, ?, ?, ?, ?, ?)",
                (unit_id, unit["county"], unit["name"], unit["kind"],
                 unit["contact_person"], unit["contact_phone"]),
            )  # fmt: skip
            await state["db"].commit()
        return JSONResponse({"id": unit_id}, status_code=201)

    return Starlette(routes=[Route("/api/v1/units", register, methods=["POST"])],
                     lifespan=lifespan)  # fmt: skip


async def measure(tmp: Path, n: int, concurrency: int) -> float:
    """Submissions answered per second by the bare app, `concurrency` clients at a time."""
    port = free_port()
    process = await asyncio.to_thread(_start, port, tmp / "raw.db")
    try:
        submitter = pipeline.Submitter(
            f"http://127.0.0.1:{port}", "unused-secret-unused", concurrency
        )
        try:
            await pipeline.closed_loop(submitter, pipeline.Phase("warm-up"), WARM_UP, 4, {})
            phase = pipeline.Phase("raw", started=time.perf_counter())
            await pipeline.closed_loop(submitter, phase, n, concurrency, {})
        finally:
            await submitter.http.aclose()
        if phase.failed:
            raise RuntimeError(f"the raw HTTP baseline failed {phase.failed} of {n} requests")
        return phase.http_rate
    finally:
        process.terminate()
        process.wait(timeout=10)


def _start(port: int, db: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.http_baseline", str(port), str(db)],
        env=clean_env(),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
    except RuntimeError:
        process.kill()
        raise
    return process


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the raw HTTP baseline did not listen on {port} within {timeout:.0f}s")


if __name__ == "__main__":
    port, db = int(sys.argv[1]), Path(sys.argv[2])
    uvicorn.run(app(db), host="127.0.0.1", port=port, access_log=False, log_level="warning")
