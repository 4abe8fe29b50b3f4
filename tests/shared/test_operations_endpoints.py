"""What ops and integrators read from every service: health, readiness, metrics, docs."""

import os

import pytest

from tests.support import eventually, metric, running_service, service_settings

pytestmark = pytest.mark.db
BUS_TIMEOUT = 15.0


@pytest.mark.parametrize("service", ["registration", "reporting"])
async def test_health_readiness_metrics_and_docs(service, nats_server, databases, tmp_path):
    async with running_service(service, service_settings(nats_server.url, var_dir=tmp_path)) as svc:
        health = (await svc.client.get("/healthz")).json()
        assert health == {"status": "ok", "service": service, "pid": os.getpid()}

        ready = await svc.client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": True, "nats": True}

        metrics = await svc.client.get("/metrics")
        assert metrics.status_code == 200
        assert metric(metrics.text, "expo_nats_connected") == 1.0

        # Reporting's scheduler may have said something at start (the day's briefing, reports
        # overdue): committed with the outbox, published by the relay a moment later.
        async def outbox_drained():
            response = await svc.client.get("/metrics")
            return metric(response.text, "expo_outbox_backlog") == 0.0

        await eventually(outbox_drained, timeout=BUS_TIMEOUT, what="expo_outbox_backlog 0.0")

        assert (await svc.client.get("/docs")).status_code == 200
        openapi = (await svc.client.get("/openapi.json")).json()
        assert any(path.startswith("/api/v1/") for path in openapi["paths"])

        asyncapi = (await svc.client.get("/asyncapi")).json()
        assert asyncapi["asyncapi"].startswith("3.")
        assert (await svc.client.get("/asyncapi.html")).status_code == 200


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
        assert ready.json()["checks"] == {"database": True, "nats": False}


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
