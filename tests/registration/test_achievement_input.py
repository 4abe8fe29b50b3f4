"""Bad input to the achievement endpoints: 422 naming the field, 404 naming the record, and
nothing stored or published."""

import uuid

import pytest

from tests.registration.flow import (
    API,
    COMMITTEE,
    KONGTONG,
    bring_to,
    create_unit,
    events_so_far,
    kind,
    show,
)
from tests.support import achievement_body, assert_problem

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "成" * 201}, "title"),
        ({"floor_area_m2": -1}, "floor_area_m2"),
        ({"power_kw": -0.5}, "power_kw"),
        ({"field": "astrology"}, "field"),
        ({"maturity": "idea"}, "maturity"),
        ({"summary": "字" * 4001}, "summary"),
        ({"patents": [f"CN2020{i:07d}" for i in range(51)]}, "patents"),
        ({"patents": ["  "]}, "patents.0"),
        ({"unit_id": "not-a-uuid"}, "unit_id"),
        ({"booth": "A1"}, "booth"),
    ],
    ids=[
        "empty-title",
        "blank-title",
        "title-201",
        "negative-area",
        "negative-power",
        "unknown-field",
        "maturity-idea",
        "summary-4001",
        "51-patents",
        "blank-patent",
        "malformed-unit-id",
        "extra-field",
    ],
)
async def test_invalid_achievement_gets_422_naming_the_field_and_leaves_no_trace(
    registration, nats_server, overrides, field
):
    client = registration.client
    unit = await create_unit(client, "kongtong")

    response = await client.post(
        f"{API}/achievements", json=achievement_body(unit["id"]) | overrides, headers=KONGTONG
    )

    assert_problem(response, 422, field=field)
    listed = await client.get(f"{API}/achievements", headers=COMMITTEE)
    assert listed.json()["total"] == 0
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == [
        "unit.registered"
    ]


async def test_the_largest_valid_achievement_is_accepted_whole(registration):
    client = registration.client
    unit = await create_unit(client, "kongtong")
    largest = {
        "title": "成" * 200,
        "summary": "字" * 4000,
        "patents": [f"CN2020{i:07d}" for i in range(50)],
        "floor_area_m2": 2000,
        "power_kw": 500,
        "maturity": "research",
        "field": "culture_tourism",
    }

    response = await client.post(
        f"{API}/achievements", json=achievement_body(unit["id"]) | largest, headers=KONGTONG
    )

    assert response.status_code == 201, response.text
    shown = await show(client, response.json()["id"])
    assert {k: shown[k] for k in largest} == largest


async def test_malformed_json_gets_422_naming_the_body_and_leaves_no_trace(
    registration, nats_server
):
    client = registration.client
    await create_unit(client, "kongtong")

    response = await client.post(
        f"{API}/achievements",
        content=b'{"title": "x", ',
        headers=KONGTONG | {"content-type": "application/json"},
    )

    assert_problem(response, 422, field="body")
    assert (await client.get(f"{API}/achievements", headers=COMMITTEE)).json()["total"] == 0
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == [
        "unit.registered"
    ]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"floor_area_m2": -3}, "floor_area_m2"),
        ({"maturity": "idea"}, "maturity"),
        ({"summary": "字" * 4001}, "summary"),
        ({"patents": [f"CN2020{i:07d}" for i in range(51)]}, "patents"),
        ({"unit_id": str(uuid.uuid4())}, "unit_id"),
    ],
    ids=[
        "empty-title",
        "null-title",
        "negative-area",
        "maturity-idea",
        "summary-4001",
        "51-patents",
        "moving-to-another-unit",
    ],
)
async def test_invalid_edit_gets_422_naming_the_field_and_changes_nothing(
    registration, nats_server, patch, field
):
    client = registration.client
    achievement, kinds = await bring_to(client, "draft")

    response = await client.patch(
        f"{API}/achievements/{achievement['id']}", json=patch, headers=KONGTONG
    )

    assert_problem(response, 422, field=field)
    assert await show(client, achievement["id"]) == achievement
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == kinds


async def test_unknown_achievement_gets_404(registration):
    missing = uuid.uuid4()
    for response in (
        await registration.client.get(f"{API}/achievements/{missing}", headers=COMMITTEE),
        await registration.client.get(f"{API}/achievements/{missing}/history", headers=COMMITTEE),
        await registration.client.post(f"{API}/achievements/{missing}/submit", headers=COMMITTEE),
        await registration.client.patch(
            f"{API}/achievements/{missing}", json={"title": "x"}, headers=COMMITTEE
        ),
    ):
        problem = assert_problem(response, 404, field="achievement_id")
        assert problem["type"] == "/problems/not-found"


async def test_a_draft_for_an_unknown_unit_gets_404_naming_unit_id(registration, nats_server):
    client = registration.client
    await create_unit(client, "kongtong")

    response = await client.post(
        f"{API}/achievements", json=achievement_body(str(uuid.uuid4())), headers=COMMITTEE
    )

    problem = assert_problem(response, 404, field="unit_id")
    assert problem["type"] == "/problems/not-found"
    assert (await client.get(f"{API}/achievements", headers=COMMITTEE)).json()["total"] == 0
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == [
        "unit.registered"
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?county=atlantis", "county"),
        ("?status=aproved", "status"),
        ("?unit_id=17", "unit_id"),
        ("?limit=0", "limit"),
    ],
)
async def test_invalid_listing_parameters_get_422_naming_the_parameter(registration, query, field):
    response = await registration.client.get(f"{API}/achievements{query}", headers=COMMITTEE)
    assert_problem(response, 422, field=field)


async def test_a_retried_draft_replays_its_201_and_location(registration, nats_server):
    client = registration.client
    unit = await create_unit(client, "kongtong")
    headers = KONGTONG | {"Idempotency-Key": "draft-9"}
    body = achievement_body(unit["id"])

    first = await client.post(f"{API}/achievements", json=body, headers=headers)
    again = await client.post(f"{API}/achievements", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert first.headers["location"] == f"{API}/achievements/{first.json()['id']}"
    assert again.headers["idempotent-replayed"] == "true"
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == [
        "unit.registered",
        "achievement.drafted",
    ]
