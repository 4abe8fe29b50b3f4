"""`expo run` as a person trying ExpoOps runs it: embedded NATS, every service, demo tokens,
a unit registered end to end, and Ctrl-C stopping everything cleanly."""

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.expo_process import ExpoProcess
from shared.launcher import installed_services
from shared.natsserver import port_is_free
from tests.support import TEST_SECRET, eventually, metric, scrape, stream_messages, unit_body

# One worker runs the system tests, one after another: they start whole stacks on fixed ports.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]

UNIT_EVENTS = "expo.registration.unit.registered"
READY_TIMEOUT = 120.0  # generous: five services start on a machine busy with other tests
EXIT_TIMEOUT = 20.0


class ExpoRun(ExpoProcess):
    """`expo run` as the tests start it, torn down by killing its whole process group."""

    default_nats_port_taken = False

    def __init__(self, env: dict[str, str], **options) -> None:
        super().__init__(env, **options)
        self.var_dir = Path(env["EXPO_VAR_DIR"])

    def shell_variables(self, name: str = "demo.env") -> dict[str, str]:
        """The `export NAME=value` lines it wrote to var/<name> for people to source."""
        lines = (self.var_dir / name).read_text().splitlines()
        return dict(shlex.split(line)[1].split("=", 1) for line in lines)

    @property
    def nats(self) -> tuple[str, int]:
        """A URL to read the bus with, and the port it printed. Its NATS wants a user: the
        URL is the integrator's, from var/demo.env (the printed one has no password)."""
        _printed, port = super().nats
        return self.shell_variables()["EXPO_NATS_URL"], port

    def stop(self) -> None:
        self.kill()


def user_env(tmp_path, demo: bool = False) -> dict[str, str]:
    """A user's environment. The demo preparation is off unless asked for: these tests are
    about starting and stopping; tests/system/test_demo_stack.py enters the demo."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPO_")}  # no EXPO_NATS_URL
    return env | {
        "EXPO_VAR_DIR": str(tmp_path),
        "EXPO_AUTH_SECRET": TEST_SECRET,
        "EXPO_DEMO": "true" if demo else "false",
    }


@pytest.fixture
def expo_run(tmp_path, request):
    """`expo run` in a session of its own, so the teardown can kill the whole tree if a test
    fails midway. Parametrized indirectly with "sigint-ignored", it starts as `expo run &` in a
    script does: with SIGINT ignored."""
    default_nats_port_taken = not nothing_listens(4222)  # true on the CI machine
    sigint_ignored = getattr(request, "param", None) == "sigint-ignored"
    run = ExpoRun(user_env(tmp_path), new_session=True, sigint_ignored=sigint_ignored)
    run.default_nats_port_taken = default_nats_port_taken
    try:
        yield run
    finally:
        run.stop()


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def nothing_listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


def a_server_can_bind(port: int) -> bool:
    """Bind the way uvicorn and nats-server do (SO_REUSEADDR): TIME_WAIT leftovers don't count."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def ports_released(ports: list[int]) -> bool:
    return all(nothing_listens(port) and a_server_can_bind(port) for port in ports)


async def test_expo_run_serves_a_unit_end_to_end_and_ctrl_c_stops_everything(expo_run):
    expo_run.wait_ready(READY_TIMEOUT)

    nats_url, nats_port = expo_run.nats
    [nats_line] = [line for line in expo_run.lines if line.startswith("NATS (JetStream)")]
    assert "[embedded]" in nats_line
    assert "@" not in nats_line and nats_url.startswith("nats://integrator:")  # no password shown
    if expo_run.default_nats_port_taken:  # someone else's NATS: the launcher picks another port
        assert nats_port != 4222
    services = expo_run.services
    assert set(services) == set(installed_services())  # every service of this checkout
    registration_url, _ = services["registration"]
    reporting_url, _ = services["reporting"]
    tokens = expo_run.tokens
    assert {"committee", "county:kongtong", "county:huating"} <= set(tokens)

    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(
            f"{registration_url}/api/v1/units",
            json=unit_body("kongtong", name="崆峒区演示单位"),
            headers=bearer(tokens["county:kongtong"]),
        )
        assert created.status_code == 201, created.text
        unit = created.json()

        async def on_the_bus():
            messages = await stream_messages(nats_url, UNIT_EVENTS)
            return [json.loads(m.data)["data"]["unit_id"] for m in messages] == [unit["id"]]

        await eventually(
            on_the_bus, timeout=15, what="unit.registered seen by an independent client"
        )

        async def counted():
            exposition = await scrape(http, reporting_url)
            return metric(exposition, "expo_units_registered", county="kongtong") == 1.0

        await eventually(counted, timeout=15, what='expo_units_registered{county="kongtong"} 1.0')

        bad = await http.post(
            f"{registration_url}/api/v1/units",
            json=unit_body("kongtong"),
            headers=bearer("not-a-token"),
        )
        assert bad.status_code == 401
        other_county = await http.post(
            f"{registration_url}/api/v1/units",
            json=unit_body("kongtong"),
            headers=bearer(tokens["county:huating"]),
        )
        assert other_county.status_code == 403

    expo_run.process.send_signal(signal.SIGINT)
    assert expo_run.wait(timeout=EXIT_TIMEOUT) == 0
    assert any(line.startswith("Stopping") for line in expo_run.lines)
    assert expo_run.lines[-1] == "Stopped.", expo_run.output()

    await assert_everything_stopped(
        expo_run, [nats_port, *(port for _url, port in services.values())]
    )


@pytest.mark.parametrize(
    "expo_run", ["sigint-default", "sigint-ignored"], ids=["terminal", "script"], indirect=True
)
async def test_ctrl_c_on_the_whole_group_is_a_clean_stop(expo_run):
    """A terminal's Ctrl-C reaches the launcher, nats-server and every service at once. It is a
    stop on purpose, not a failure: every service and nats-server ends, the launcher says
    "Stopped." and exits 0 (make then reports no error). Also when it was started in the
    background of a script, with SIGINT ignored, which the services and nats-server do not
    inherit: they stop on it anyway, and the launcher took their exits for failures."""
    expo_run.wait_ready(READY_TIMEOUT)
    _nats_url, nats_port = expo_run.nats
    ports = [nats_port, *(port for _url, port in expo_run.services.values())]
    assert len(ports) == 1 + len(installed_services())
    stack = [
        *children_named(expo_run.process.pid, "nats-server"),
        *children_named(expo_run.process.pid, Path(sys.executable).name[:15]),  # the services
    ]
    assert len(stack) == len(ports), stack

    os.killpg(expo_run.process.pid, signal.SIGINT)

    exit_code = expo_run.wait(timeout=EXIT_TIMEOUT)
    output = "\n".join(expo_run.lines[-10:])
    assert exit_code == 0, output
    assert "Stopped." in expo_run.lines, output
    assert not [line for line in expo_run.lines if "exited with code" in line], output
    assert [pid for pid in stack if alive(pid)] == []
    await assert_everything_stopped(expo_run, ports)


async def assert_everything_stopped(expo_run: ExpoRun, ports: list[int]) -> None:
    # No process of the stack is left (the launcher, nats-server, the services).
    with pytest.raises(ProcessLookupError):
        os.killpg(expo_run.process.pid, 0)
    await eventually(
        lambda: ports_released(ports), timeout=10, what=f"ports {ports} released after exit"
    )


def test_a_port_released_by_a_stopped_server_counts_as_free_for_the_next_run():
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn/nats do
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            served, _ = listener.accept()
            served.close()  # the server answers and closes first (Connection: close)
            assert client.recv(1) == b""
    # The server is gone: nothing listens, and a new server could bind the port.
    assert nothing_listens(port) and a_server_can_bind(port)
    assert port_is_free(port)


def children_named(parent: int, name: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/comm") as comm:
                command = comm.read().strip()
        except OSError:
            continue
        if int(fields[1]) == parent and command == name:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def test_stopping_expo_run_while_nats_starts_leaves_no_nats_server_behind(tmp_path):
    run = ExpoRun(user_env(tmp_path), new_session=True)
    nats_pids: list[int] = []
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not nats_pids and time.monotonic() < deadline and run.process.poll() is None:
            nats_pids = children_named(run.process.pid, "nats-server")
        assert nats_pids, "the launcher never started nats-server"
        [nats_pid] = nats_pids
        # A slow start (a large store to recover): freeze nats-server before it listens.
        os.kill(nats_pid, signal.SIGSTOP)
        # nats-server writes its ports file once it listens (EXPO_VAR_DIR/nats/ports).
        if (tmp_path / "nats" / "ports" / f"nats-server_{nats_pid}.ports").exists():
            pytest.skip("nats-server was already listening: missed its start-up window")

        run.process.send_signal(signal.SIGTERM)  # `kill <pid>` while the stack starts
        try:
            run.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass  # a launcher that stops nats-server waits for it: let it go on
        with contextlib.suppress(ProcessLookupError):  # gone already: the exit code says why
            os.kill(nats_pid, signal.SIGCONT)

        exit_code = run.process.wait(timeout=EXIT_TIMEOUT)
        await eventually(
            lambda: _async(not alive(nats_pid)), timeout=30, what="nats-server stopped"
        )
        assert exit_code == 0, "\n".join(run.lines[-5:])
    finally:
        for pid in nats_pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        run.stop()


async def _async(value: bool) -> bool:
    return value
