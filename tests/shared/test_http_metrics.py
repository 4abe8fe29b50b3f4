"""Every service counts and times its HTTP requests on /metrics, by method, route template and
status: what the system dashboard charts as request rates, errors and latency."""

import uuid

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from shared.metrics import HTTP_LATENCY_BUCKETS, HttpMetrics, ServiceMetrics
from tests.support import running_service, scrape, service_settings, token, unit_body

pytestmark = pytest.mark.db

API = "/api/v1"
COMMITTEE = token("committee", "committee-chair")
REQUESTS = "expo_http_requests_total"
DURATION = "expo_http_request_duration_seconds"


@pytest.fixture
async def registration(nats_server, databases, tmp_path):
    async with running_service(
        "registration", service_settings(nats_server.url, var_dir=tmp_path)
    ) as svc:
        yield svc


def requests_counted(exposition: str) -> dict[tuple[str, str, str], float]:
    """{(method, route, status): requests} as Prometheus reads them."""
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
        if s.name == REQUESTS
    }


def latency_samples(exposition: str, method: str, route: str) -> dict[str, float]:
    """{"count": n, "sum": seconds, "le=0.005": n, ...} of one method and route."""
    found = {}
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            if s.labels.get("method") != method or s.labels.get("route") != route:
                continue
            if s.name == f"{DURATION}_count":
                found["count"] = s.value
            elif s.name == f"{DURATION}_sum":
                found["sum"] = s.value
            elif s.name == f"{DURATION}_bucket":
                found[f"le={s.labels['le']}"] = s.value
    return found


async def test_requests_are_counted_by_route_template_and_status(registration):
    client = registration.client
    created = await client.post(f"{API}/units", json=unit_body("kongtong"), headers=COMMITTEE)
    unit_id = created.json()["id"]
    found = await client.get(f"{API}/units/{unit_id}", headers=COMMITTEE)
    missing = await client.get(f"{API}/units/{uuid.uuid4()}", headers=COMMITTEE)
    assert (created.status_code, found.status_code, missing.status_code) == (201, 200, 404)

    counted = requests_counted(await scrape(registration))

    assert counted[("POST", "/api/v1/units", "201")] == 1
    assert counted[("GET", "/api/v1/units/{unit_id}", "200")] == 1
    assert counted[("GET", "/api/v1/units/{unit_id}", "404")] == 1
    assert not [route for _m, route, _s in counted if unit_id in route], "raw ids in labels"


async def test_paths_no_route_answers_share_one_label(registration):
    for path in ("/wp-login.php", f"{API}/no-such-thing/{uuid.uuid4()}", "/.env"):
        assert (await registration.client.get(path)).status_code == 404

    counted = requests_counted(await scrape(registration))

    assert counted == {("GET", "unmatched", "404"): 3}


async def test_refused_requests_are_counted_with_the_status_the_client_got(registration):
    client = registration.client
    no_token = await client.post(f"{API}/units", json=unit_body("kongtong"))
    invalid = await client.post(
        f"{API}/units", json=unit_body("kongtong", contact_phone="123"), headers=COMMITTEE
    )
    not_allowed = await client.delete(f"{API}/units", headers=COMMITTEE)
    odd_method = await client.request("BREW", f"{API}/units", headers=COMMITTEE)
    too_large = await client.post(
        f"{API}/units",
        json=unit_body("kongtong") | {"contact_person": "张" * 600_000},
        headers=COMMITTEE,
    )
    assert [r.status_code for r in (no_token, invalid, not_allowed, odd_method, too_large)] == [
        401,
        422,
        405,
        405,
        413,
    ]

    counted = requests_counted(await scrape(registration))

    assert counted == {
        ("POST", "/api/v1/units", "401"): 1,
        ("POST", "/api/v1/units", "422"): 1,
        ("DELETE", "/api/v1/units", "405"): 1,
        ("other", "/api/v1/units", "405"): 1,  # any method name a client invents is one label
        ("POST", "unmatched", "413"): 1,  # refused before routing, so before any route matched
    }


async def test_scrapes_and_probes_are_not_counted_but_the_docs_are(registration):
    client = registration.client
    await scrape(registration)
    for path in ("/healthz", "/readyz", "/openapi.json", "/asyncapi"):
        assert (await client.get(path)).status_code == 200

    counted = requests_counted(await scrape(registration))

    assert counted == {("GET", "/openapi.json", "200"): 1, ("GET", "/asyncapi", "200"): 1}


async def test_latency_is_a_histogram_per_method_and_route(registration):
    client = registration.client
    for county in ("kongtong", "huating"):
        response = await client.post(f"{API}/units", json=unit_body(county), headers=COMMITTEE)
        assert response.status_code == 201

    latency = latency_samples(await scrape(registration), "POST", "/api/v1/units")

    assert latency["count"] == 2 and latency["le=+Inf"] == 2
    assert 0 < latency["sum"] < 10
    buckets = [float(key.removeprefix("le=")) for key in latency if key.startswith("le=")]
    assert buckets == [*HTTP_LATENCY_BUCKETS, float("inf")]


async def test_a_handler_that_raises_is_counted_as_a_server_error():
    metrics = ServiceMetrics("probe")
    app = FastAPI()

    @app.get("/things/{thing_id}")
    async def broken(thing_id: str):
        raise RuntimeError("a bug")

    app.add_middleware(HttpMetrics, metrics=metrics)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        assert (await client.get("/things/1")).status_code == 500

    counted = requests_counted((await metrics.render()).decode())

    assert counted == {("GET", "/things/{thing_id}", "500"): 1}
