"""POST /api/v1/units as a county office sees it: answers, stored rows, events on the bus."""

import json

import pytest

from tests.support import (
    eventually,
    stream_messages,
    token,
    unit_body,
)

pytestmark = pytest.mark.db

UNIT_EVENTS = "expo.registration.unit.registered"


async def list_events(nats_server):
    return [json.loads(m.data) for m in await stream_messages(nats_server.url, UNIT_EVENTS)]


async def test_county_registers_a_unit_and_the_event_reaches_the_bus(registration, nats_server):
    body = unit_body("kongtong", name="平凉市农业科学院")
    response = await registration.client.post(
        "/api/v1/units", json=body, headers=token("county:kongtong", "zhang")
    )

    assert response.status_code == 201
    unit = response.json()
    assert unit["county"] == "kongtong" and unit["name"] == "平凉市农业科学院"
    assert unit["created_by"] == "zhang"
    assert response.headers["location"] == f"/api/v1/units/{unit['id']}"
    assert unit["created_at"].endswith("Z") and unit["updated_at"] == unit["created_at"]

    shown = await registration.client.get(
        response.headers["location"], headers=token("county:kongtong")
    )
    assert shown.status_code == 200 and shown.json() == unit

    async def published():
        return len(await list_events(nats_server)) == 1

    await eventually(published, what="unit.registered on the bus")
    [message] = await stream_messages(nats_server.url, UNIT_EVENTS)
    event = json.loads(message.data)
    assert event["type"] == UNIT_EVENTS
    assert event["actor"] == "zhang"
    assert event["edition"] == "pingliang-2020"
    assert event["data"] == {
        "unit_id": unit["id"],
        "county": "kongtong",
        "name": "平凉市农业科学院",
        "kind": "enterprise",
    }
    assert message.headers["Nats-Msg-Id"] == event["id"] == message.headers["ce-id"]
    assert message.headers["ce-type"] == UNIT_EVENTS
    assert message.headers["ce-specversion"] == "1.0"
    # Personal data never leaves the service.
    assert "张三" not in message.data.decode() and "13800138000" not in message.data.decode()


async def test_committee_may_register_for_any_county(registration):
    response = await registration.client.post(
        "/api/v1/units", json=unit_body("jingning"), headers=token("committee")
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "bank"}, "kind"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"contact_person": "   "}, "contact_person"),
        ({"contact_person": "x" * 51}, "contact_person"),
        ({"name": "平凉\x00单位"}, "name"),
        ({"county": "atlantis"}, "county"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_invalid_fields_get_422_naming_the_field_and_store_nothing(
    registration, nats_server, payload, field
):
    response = await registration.client.post(
        "/api/v1/units", json=unit_body("kongtong") | payload, headers=token("committee")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert field in [e["field"] for e in problem["errors"]]
    assert await _unit_count(registration) == 0
    assert await list_events(nats_server) == []


async def test_malformed_json_gets_422_problem_and_stores_nothing(registration, nats_server):
    response = await registration.client.post(
        "/api/v1/units",
        content=b'{"county": "kongtong", ',
        headers=token("county:kongtong") | {"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body"
    assert await _unit_count(registration) == 0
    assert await list_events(nats_server) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + token("committee")["Authorization"].split()[1][:-2] + "xx"},
    ],
    ids=["missing", "garbage", "wrong-scheme", "tampered"],
)
async def test_missing_or_invalid_token_gets_401(registration, headers):
    response = await registration.client.post("/api/v1/units", json=unit_body(), headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert await _unit_count(registration) == 0


@pytest.mark.parametrize("role", ["county:huating", "ops", "integrator", "group:publicity"])
async def test_other_principals_get_403_and_nothing_changes(registration, nats_server, role):
    response = await registration.client.post(
        "/api/v1/units", json=unit_body("kongtong"), headers=token(role)
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert await _unit_count(registration) == 0
    assert await list_events(nats_server) == []


async def test_a_county_cannot_read_another_countys_unit(registration):
    created = await registration.client.post(
        "/api/v1/units", json=unit_body("kongtong"), headers=token("committee")
    )
    response = await registration.client.get(
        f"/api/v1/units/{created.json()['id']}", headers=token("county:huating")
    )
    assert response.status_code == 403


async def test_duplicate_name_in_one_county_is_refused(registration):
    headers = token("county:kongtong")
    first = await registration.client.post(
        "/api/v1/units", json=unit_body(name="静宁苹果研究所"), headers=headers
    )
    again = await registration.client.post(
        "/api/v1/units", json=unit_body(name=" 静宁苹果研究所 "), headers=headers
    )
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["rule"] == "name_taken"
    assert again.json()["type"] == "/problems/conflict"
    assert again.json()["errors"][0]["field"] == "name"
    other_county = await registration.client.post(
        "/api/v1/units",
        json=unit_body("huating", name="静宁苹果研究所"),
        headers=token("committee"),
    )
    assert other_county.status_code == 201
    assert await _unit_count(registration) == 2


async def test_repeated_post_with_the_same_idempotency_key_creates_one_unit(
    registration, nats_server
):
    headers = token("county:kongtong") | {"Idempotency-Key": "form-42"}
    body = unit_body()
    first = await registration.client.post("/api/v1/units", json=body, headers=headers)
    second = await registration.client.post("/api/v1/units", json=body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert first.headers["location"] == f"/api/v1/units/{first.json()['id']}"
    assert await _unit_count(registration) == 1

    async def one_event():
        return len(await list_events(nats_server)) == 1

    await eventually(one_event)
    reused = await registration.client.post("/api/v1/units", json=unit_body(), headers=headers)
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await _unit_count(registration) == 1


async def _unit_count(registration) -> int:
    from sqlalchemy import func, select

    from services.registration.models import units

    async with registration.runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(units))
