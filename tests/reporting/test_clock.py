"""Reporting's clock moves only in a rehearsal, and only for the committee: what the scheduler
says after a move (overdue tasks, escalations) goes into the permanent event log."""

import pytest

from tests.reporting.rehearsal import at
from tests.support import running_service, service_settings, token

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    ("rehearsal", "role", "status"),
    [(True, "committee", 200), (True, "ops", 403), (False, "committee", 403)],
)
@pytest.mark.finding(16)
async def test_the_clock_moves_in_a_rehearsal_for_the_committee_only(
    nats_server, databases, tmp_path, rehearsal, role, status
):
    settings = service_settings(nats_server.url, var_dir=tmp_path, rehearsal=rehearsal)
    async with running_service("reporting", settings) as svc:
        before = (await svc.client.get("/api/v1/clock", headers=token("committee"))).json()
        moved = await svc.client.put(
            "/api/v1/clock", json={"now": at("2020-08-20T07:31")}, headers=token(role)
        )
        after = (await svc.client.get("/api/v1/clock", headers=token("committee"))).json()

    assert moved.status_code == status, moved.text
    if status == 403:
        assert moved.headers["content-type"] == "application/problem+json"
        assert after["today"] == before["today"]
    else:
        assert after["today"] == "2020-08-20"
