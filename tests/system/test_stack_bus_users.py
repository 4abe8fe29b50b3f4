"""`expo run`'s NATS lets in only the users of deploy/nats/nats.conf, each service as its own,
and the secrets it made on its first run are its owner's only and serve every later run."""

import asyncio
import json
import os
import stat
import sys
import urllib.request

import httpx
import nats
import pytest

from shared.natsserver import password_variables
from shared.settings import REPO_ROOT
from shared.stack_files import read_variables
from tests.support import eventually, stream_messages, unit_body
from tests.system.test_stack_run import READY_TIMEOUT, ExpoRun, bearer, user_env

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("bus-users")]

PASSWORDS = password_variables()  # user -> the variable its password is in
OWNER_ONLY = ("secrets.env", "operator.env", "demo.env")
UNIT_REGISTERED = "expo.registration.unit.registered"


def a_users_environment(tmp_path) -> dict[str, str]:
    """As a person runs it, with no EXPO_AUTH_SECRET of their own: `expo run` makes one."""
    env = user_env(tmp_path) | {"EXPO_PORT_BASE": "0"}
    del env["EXPO_AUTH_SECRET"]
    return env


async def _ignore(_error: Exception) -> None:
    """The refusal is asserted on the exception connect raises."""


async def assert_refused(url: str) -> None:
    with pytest.raises(nats.errors.Error, match=r"(?i)authorization violation"):
        await nats.connect(url, allow_reconnect=False, connect_timeout=5, error_cb=_ignore)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def environment_of(url: str) -> dict[str, str]:
    """A service process's environment, found by the pid its /healthz gives."""
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        pid = json.load(response)["pid"]
    with open(f"/proc/{pid}/environ", "rb") as environ:
        pairs = [item.decode().partition("=") for item in environ.read().split(b"\0") if item]
    return {name: value for name, _, value in pairs}


async def expo_token(run: ExpoRun, *args: str) -> tuple[int, str]:
    """`. var/operator.env && expo token ...` in a shell of a person with no EXPO_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPO_")}
    command = f'. "{run.var_dir / "operator.env"}" && exec "{sys.executable}" -m shared.cli token'
    shell = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        f'{command} "$@"',
        "expo",
        *args,
        env=env,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(shell.communicate(), timeout=60)
    return shell.returncode or 0, output.decode()


@pytest.mark.finding(15)
async def test_only_the_users_of_nats_conf_get_in_and_the_secrets_serve_the_next_run(tmp_path):
    env = a_users_environment(tmp_path)
    first = ExpoRun(env, new_session=True)
    try:
        first.wait_ready(READY_TIMEOUT)
        secrets = read_variables(tmp_path / "secrets.env")
        assert set(secrets) == {*PASSWORDS.values(), "EXPO_AUTH_SECRET"}
        assert not [name for name, value in secrets.items() if value in first.output()]
        for name in OWNER_ONLY:
            assert mode(tmp_path / name) == 0o600, name

        _url, port = first.nats
        at = f"127.0.0.1:{port}"
        await assert_refused(f"nats://{at}")  # anonymous
        await assert_refused(f"nats://registration:s{'0' * 48}@{at}")  # a made-up password
        # A real password, of another user.
        await assert_refused(f"nats://registration:{secrets['REPORTING_NATS_PASSWORD']}@{at}")

        # Each service connects as its own user, and knows no other user's password.
        for service, (url, _port) in first.services.items():
            environment = environment_of(url)
            own = secrets[PASSWORDS[service]]
            assert environment["EXPO_NATS_URL"] == f"nats://{service}:{own}@{at}"
            others = [v for n, v in secrets.items() if v != own and n != "EXPO_AUTH_SECRET"]
            assert not [v for v in others if v in "\0".join(environment.values())], service
            assert environment["EXPO_AUTH_SECRET"] == secrets["EXPO_AUTH_SECRET"]

        # var/demo.env reads the bus as the integrator; var/operator.env issues and revokes.
        demo = first.shell_variables()
        assert (
            demo["EXPO_NATS_URL"] == f"nats://integrator:{secrets['INTEGRATOR_NATS_PASSWORD']}@{at}"
        )
        operator = first.shell_variables("operator.env")
        assert (
            operator["EXPO_NATS_URL"] == f"nats://operator:{secrets['OPERATOR_NATS_PASSWORD']}@{at}"
        )
        code, output = await expo_token(first, "committee", "--subject", "ops-on-call")
        assert code == 0, output
        issued = output.splitlines()[0]
        registration, _port = first.services["registration"]
        async with httpx.AsyncClient(timeout=10) as http:
            unit = await http.post(
                f"{registration}/api/v1/units",
                json=unit_body("kongtong"),
                headers=bearer(issued),
            )
            assert unit.status_code == 201, unit.text
            code, output = await expo_token(first, "revoke", issued, "--reason", "a test")
            assert code == 0, output

            async def refused() -> bool:
                answer = await http.get(f"{registration}/api/v1/units", headers=bearer(issued))
                return answer.status_code == 401

            await eventually(refused, timeout=15, what="the revoked token refused")

            async def on_the_bus() -> bool:
                return len(await stream_messages(demo["EXPO_NATS_URL"], UNIT_REGISTERED)) == 1

            await eventually(on_the_bus, timeout=15, what="the unit's event on the bus")
        demo_token = first.tokens["committee"]
        kept = (tmp_path / "secrets.env").read_bytes()
    finally:
        first.stop()

    again = ExpoRun(env, new_session=True)
    try:
        again.wait_ready(READY_TIMEOUT)
        # The same secrets, still its owner's only: the first run's tokens, and the store the
        # first run's NATS wrote, serve this run.
        assert (tmp_path / "secrets.env").read_bytes() == kept
        for name in OWNER_ONLY:
            assert mode(tmp_path / name) == 0o600, name
        operator = again.shell_variables("operator.env")
        assert operator["EXPO_AUTH_SECRET"] == secrets["EXPO_AUTH_SECRET"]
        registration, _port = again.services["registration"]
        async with httpx.AsyncClient(timeout=10) as http:
            units = await http.get(f"{registration}/api/v1/units", headers=bearer(demo_token))
            assert units.status_code == 200, units.text
            assert [u["id"] for u in units.json()["items"]] == [unit.json()["id"]]
            still_revoked = await http.get(f"{registration}/api/v1/units", headers=bearer(issued))
            assert still_revoked.status_code == 401
        integrator_url, _port = again.nats
        assert len(await stream_messages(integrator_url, UNIT_REGISTERED)) == 1
    finally:
        again.stop()
