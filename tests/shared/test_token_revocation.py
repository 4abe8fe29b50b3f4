"""`expo token revoke` takes one token away on every service within seconds, without a restart
and without touching anyone else's token; a service started later refuses it from its first
request on."""

import asyncio
import os
import sys

import pytest

from shared.auth import issue
from tests.support import TEST_SECRET, assert_problem, eventually, running_service, service_settings

pytestmark = [pytest.mark.db, pytest.mark.finding(8)]
REVOCATION_DEADLINE = 15.0  # seconds; it takes about one on an idle machine
# A read each service answers to the committee: one per service, so both are asked.
READS = {"registration": "/api/v1/units", "reporting": "/api/v1/tasks"}


async def expo_token(*args: str, nats_url: str) -> tuple[int, str, str]:
    env = {"PATH": os.environ.get("PATH", ""), "EXPO_AUTH_SECRET": TEST_SECRET}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.cli",
        "token",
        *args,
        env=env | {"EXPO_NATS_URL": nats_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_revoked_token_is_refused_by_every_service_and_others_still_work(
    nats_server, databases, tmp_path
):
    leaked = issue(TEST_SECRET, "committee", "committee-wang")
    kept = issue(TEST_SECRET, "committee", "committee-li")
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with (
        running_service("registration", settings) as registration,
        running_service("reporting", settings) as reporting,
    ):
        services = {"registration": registration, "reporting": reporting}
        for name, svc in services.items():
            assert (
                await svc.client.get(READS[name], headers=bearer(leaked.token))
            ).status_code == 200

        code, out, err = await expo_token("revoke", leaked.token, nats_url=nats_server.url)
        assert code == 0, err
        assert leaked.token_id in out

        for name, svc in services.items():

            async def refused(svc=svc, name=name):
                answer = await svc.client.get(READS[name], headers=bearer(leaked.token))
                return answer.status_code == 401

            await eventually(refused, REVOCATION_DEADLINE, f"{name} refuses the revoked token")
            answer = await svc.client.get(READS[name], headers=bearer(leaked.token))
            assert "revoked" in assert_problem(answer, 401)["detail"]
            assert (
                await svc.client.get(READS[name], headers=bearer(kept.token))
            ).status_code == 200


async def test_a_service_started_after_the_revocation_refuses_the_token_at_once(
    nats_server, databases, tmp_path
):
    leaked = issue(TEST_SECRET, "ops", "ops-zhao")
    # By its id alone (what `expo token` printed), before any service ever ran.
    code, _out, err = await expo_token("revoke", leaked.token_id, nats_url=nats_server.url)
    assert code == 0, err
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("registration", settings) as registration:
        assert (await registration.client.get("/readyz")).json()["checks"]["revoked_tokens"]
        answer = await registration.client.get("/api/v1/units", headers=bearer(leaked.token))
        assert "revoked" in assert_problem(answer, 401)["detail"]


@pytest.mark.parametrize("target", ["", "not a token!", "a.b.c"])
async def test_revoke_refuses_what_is_neither_a_token_nor_an_id(target, nats_server):
    code, _out, err = await expo_token("revoke", target, nats_url=nats_server.url)
    assert code == 2, err
    assert "token" in err


async def test_revoke_says_so_when_the_bus_is_not_there():
    code, _out, err = await expo_token("revoke", "a1b2c3", nats_url="nats://127.0.0.1:1")
    assert code == 1
    assert "could not write the revocation" in err
