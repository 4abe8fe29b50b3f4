"""What ops and integrators read from every service: health, readiness, metrics, docs.

/metrics holds every county's business figures: it answers to an ops or committee token only,
checked as the API checks tokens. /healthz and /readyz stay open, and tell nothing of the
business.
"""

import os
import secrets

import pytest

from shared.auth import issue, issue_token
from shared.launcher import installed_services
from shared.problems import PROBLEM_JSON
from shared.revocations import revoke
from tests.support import (
    TEST_SECRET,
    assert_problem,
    eventually,
    metric,
    running_service,
    scrape,
    service_settings,
    token,
)

pytestmark = pytest.mark.db
BUS_TIMEOUT = 15.0


@pytest.mark.parametrize("service", ["registration", "reporting"])
async def test_health_readiness_metrics_and_docs(service, nats_server, databases, tmp_path):
    async with running_service(service, service_settings(nats_server.url, var_dir=tmp_path)) as svc:
        # Open to anyone (a load balancer, an orchestrator), so they say nothing of the business.
        health = (await svc.client.get("/healthz")).json()
        assert health == {"status": "ok", "service": service, "pid": os.getpid()}

        ready = await svc.client.get("/readyz")
        assert ready.status_code == 200
        assert set(ready.json()) == {"status", "checks"}
        checks = ready.json()["checks"]
        assert checks["database"] is True and checks["nats"] is True
        assert all(value is True for value in checks.values()), checks  # only yes or no

        assert metric(await scrape(svc), "expo_nats_connected") == 1.0

        # Reporting's scheduler may have said something at start (the day's briefing, reports
        # overdue): committed with the outbox, published by the relay a moment later.
        async def outbox_drained():
            return metric(await scrape(svc), "expo_outbox_backlog") == 0.0

        await eventually(outbox_drained, timeout=BUS_TIMEOUT, what="expo_outbox_backlog 0.0")

        assert (await svc.client.get("/docs")).status_code == 200
        openapi = (await svc.client.get("/openapi.json")).json()
        assert any(path.startswith("/api/v1/") for path in openapi["paths"])

        asyncapi = (await svc.client.get("/asyncapi")).json()
        assert asyncapi["asyncapi"].startswith("3.")
        assert (await svc.client.get("/asyncapi.html")).status_code == 200


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.parametrize("service", installed_services())
@pytest.mark.finding(3)
async def test_metrics_answer_to_ops_and_the_committee_only(
    service, nats_server, databases, tmp_path
):
    async with running_service(service, service_settings(nats_server.url, var_dir=tmp_path)) as svc:
        client, edition = svc.client, svc.runtime.edition
        county, group = sorted(edition.county_codes)[0], sorted(edition.group_codes)[0]

        for role in ("ops", "committee"):
            answer = await client.get("/metrics", headers=token(role))
            assert answer.status_code == 200, f"{role}: {answer.text}"
            assert answer.headers["content-type"].startswith("text/plain; version=")
            assert metric(answer.text, "expo_nats_connected") is not None

        refused_as_unknown = {
            "no token": {},
            "an ops token, but not as Bearer": {
                "Authorization": token("ops")["Authorization"].replace("Bearer", "Basic")
            },
            "not a token": bearer("not-a-token"),
            "signed under another secret": bearer(
                issue_token(secrets.token_urlsafe(32), "ops", subject="ops")
            ),
            "expired": bearer(issue_token(TEST_SECRET, "ops", subject="ops", ttl_days=-1)),
            "a county of no edition": token("county:atlantis"),
        }
        for why, headers in refused_as_unknown.items():
            answer = await client.get("/metrics", headers=headers)
            problem = assert_problem(answer, 401)
            assert answer.headers["www-authenticate"] == "Bearer", why
            assert problem == problem | {
                "type": "/problems/unauthorized",
                "title": "Authentication required",
                "instance": "/metrics",
            }, why
            assert "expo_" not in answer.text, why

        for role in (f"county:{county}", f"group:{group}", "integrator"):
            answer = await client.get("/metrics", headers=token(role))
            problem = assert_problem(answer, 403)
            assert problem == problem | {
                "type": "/problems/forbidden",
                "title": "Forbidden",
                "instance": "/metrics",
            }, role
            assert role in problem["detail"] and "expo_" not in answer.text

        # Revoked, as `expo token revoke` does it: refused from then on, without a restart.
        leaked = issue(TEST_SECRET, "ops", "prometheus")
        assert (await client.get("/metrics", headers=bearer(leaked.token))).status_code == 200
        await revoke(nats_server.url, leaked.token_id, leaked.expires_at, "ops", "leaked")

        async def refused_once_revoked() -> bool:
            answer = await client.get("/metrics", headers=bearer(leaked.token))
            return answer.status_code == 401 and "expo_" not in answer.text

        await eventually(refused_once_revoked, timeout=BUS_TIMEOUT, what="revoked token refused")

        documented = (await client.get("/openapi.json")).json()["paths"]["/metrics"]["get"]
        for status in ("401", "403"):
            content = documented["responses"][status]["content"]
            assert content == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        assert "`ops` or `committee`" in documented["description"]


async def test_registration_documents_the_events_it_publishes(nats_server, databases, tmp_path):
    async with running_service(
        "registration", service_settings(nats_server.url, var_dir=tmp_path)
    ) as svc:
        asyncapi = (await svc.client.get("/asyncapi")).json()
    channel = asyncapi["channels"]["expo.registration.unit.registered"]
    assert "Contact details are never included" in channel["description"]
    schemas = asyncapi["components"]["schemas"]
    assert any("data" in schema.get("properties", {}) for schema in schemas.values())


async def test_readiness_fails_while_nats_is_unreachable(databases, tmp_path):
    from shared.natsserver import free_port

    settings = service_settings(f"nats://127.0.0.1:{free_port()}", var_dir=tmp_path)
    async with running_service("registration", settings, wait_for_bus=False) as svc:
        assert (await svc.client.get("/healthz")).status_code == 200
        ready = await svc.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        checks = ready.json()["checks"]
        assert checks["database"] is True and checks["nats"] is False


async def test_an_oversized_body_gets_413_and_changes_nothing(nats_server, databases, tmp_path):
    from tests.support import token, unit_body

    async with running_service(
        "registration", service_settings(nats_server.url, var_dir=tmp_path)
    ) as svc:
        body = unit_body("kongtong") | {"contact_person": "张" * 600_000}
        response = await svc.client.post("/api/v1/units", json=body, headers=token("committee"))
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        listed = await svc.client.get("/api/v1/units", headers=token("committee"))
        assert listed.json()["total"] == 0
