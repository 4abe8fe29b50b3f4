"""GET /api/v1/units (filters, pages) and PATCH /api/v1/units/{id} as counties use them."""

import json
import uuid

import pytest

from tests.support import (
    assert_problem,
    eventually,
    stream_messages,
    token,
    unit_body,
)

pytestmark = pytest.mark.db

API = "/api/v1"
EVENTS = "expo.registration.>"
KONGTONG = token("county:kongtong", "kongtong-clerk")
COMMITTEE = token("committee", "committee-chair")


async def register(client, county: str, name: str, kind: str = "enterprise", **extra) -> dict:
    response = await client.post(
        f"{API}/units", json=unit_body(county, name=name, kind=kind, **extra), headers=COMMITTEE
    )
    assert response.status_code == 201, response.text
    return response.json()


async def listing(client, query: str = "", headers=None):
    return await client.get(f"{API}/units{query}", headers=headers or COMMITTEE)


async def events_so_far(svc, nats_url: str) -> list[dict]:
    """Registration events up to now: waits for a marker unit's event (the outbox publishes
    in commit order), returns those before it and checks none came after it."""
    marker = await register(svc.client, "city", f"marker-{uuid.uuid4().hex[:8]}")
    found: list[dict] = []

    async def marker_arrived():
        messages = await stream_messages(nats_url, EVENTS, settle=0.1)
        found[:] = [json.loads(m.data) | {"raw": m.data.decode()} for m in messages]
        return any(e["data"].get("unit_id") == marker["id"] for e in found)

    await eventually(marker_arrived, what="marker unit event on the bus")
    at = next(i for i, e in enumerate(found) if e["data"].get("unit_id") == marker["id"])
    assert found[at + 1 :] == []
    return found[:at]


async def test_units_filter_by_county_and_kind(registration):
    client = registration.client
    farm = await register(client, "kongtong", "unit-a", "enterprise")
    college = await register(client, "kongtong", "unit-b", "college")
    other = await register(client, "huating", "unit-c", "enterprise")

    everything = (await listing(client)).json()
    assert [u["id"] for u in everything["items"]] == [other["id"], farm["id"], college["id"]]
    assert everything["total"] == 3

    kongtong = (await listing(client, "?county=kongtong")).json()
    assert [u["id"] for u in kongtong["items"]] == [farm["id"], college["id"]]
    assert kongtong["total"] == 2

    enterprises = (await listing(client, "?kind=enterprise")).json()
    assert {u["id"] for u in enterprises["items"]} == {farm["id"], other["id"]}

    both = (await listing(client, "?county=kongtong&kind=college")).json()
    assert [u["id"] for u in both["items"]] == [college["id"]] and both["total"] == 1

    none = (await listing(client, "?county=jingning")).json()
    assert none == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_units_come_in_pages_with_total_and_a_stable_order(registration):
    client = registration.client
    names = [f"unit-{letter}" for letter in "acegbdf"]
    for name in names:
        await register(client, "kongtong", name)

    pages = [
        (await listing(client, f"?county=kongtong&limit=3&offset={offset}")).json()
        for offset in (0, 3, 6, 9)
    ]

    assert [(p["limit"], p["offset"], p["total"]) for p in pages] == [
        (3, 0, 7),
        (3, 3, 7),
        (3, 6, 7),
        (3, 9, 7),
    ]
    assert [len(p["items"]) for p in pages] == [3, 3, 1, 0]
    paged = [u["name"] for p in pages for u in p["items"]]
    assert paged == sorted(names)
    again = (await listing(client, "?county=kongtong&limit=3&offset=3")).json()
    assert again == pages[1]


async def test_a_county_lists_only_its_own_units(registration):
    client = registration.client
    ours = await register(client, "kongtong", "unit-ours")
    await register(client, "huating", "unit-theirs")

    own = await listing(client, headers=KONGTONG)
    assert own.status_code == 200
    assert [u["id"] for u in own.json()["items"]] == [ours["id"]] and own.json()["total"] == 1
    assert_problem(await listing(client, "?county=huating", headers=KONGTONG), 403)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=0", "limit"),
        ("?limit=201", "limit"),
        ("?limit=ten", "limit"),
        ("?offset=-1", "offset"),
        ("?offset=100000000000000000000", "offset"),  # was a 500 on every list
        ("?county=atlantis", "county"),
        ("?kind=bank", "kind"),
    ],
)
@pytest.mark.finding(13)
async def test_invalid_listing_parameters_get_422_naming_the_parameter(registration, query, field):
    problem = assert_problem(await listing(registration.client, query), 422, field=field)
    assert problem["status"] == 422


async def test_patching_a_unit_publishes_unit_updated_naming_the_fields_without_contact_values(
    registration, nats_server
):
    client = registration.client
    unit = await register(client, "kongtong", "静宁苹果研究所", "research_institute")

    response = await client.patch(
        f"{API}/units/{unit['id']}",
        json={
            "name": "静宁县苹果产业研究所",
            "kind": "college",
            "contact_person": "王五",
            "contact_phone": "0933-8212345",
        },
        headers=KONGTONG,
    )

    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "静宁县苹果产业研究所" and updated["kind"] == "college"
    assert updated["contact_person"] == "王五" and updated["contact_phone"] == "0933-8212345"
    assert updated["updated_by"] == "kongtong-clerk"
    shown = await client.get(f"{API}/units/{unit['id']}", headers=KONGTONG)
    assert shown.json() == updated

    events = await events_so_far(registration, nats_server.url)
    assert [e["type"] for e in events] == [
        "expo.registration.unit.registered",
        "expo.registration.unit.updated",
    ]
    event = events[-1]
    assert event["actor"] == "kongtong-clerk"
    assert event["data"]["unit_id"] == unit["id"]
    assert event["data"]["county"] == "kongtong"
    assert event["data"]["name"] == "静宁县苹果产业研究所"
    assert event["data"]["kind"] == "college"
    assert sorted(event["data"]["changed"]) == [
        "contact_person",
        "contact_phone",
        "kind",
        "name",
    ]
    for e in events:
        for personal in ("王五", "0933-8212345", "张三", "13800138000"):
            assert personal not in e["raw"]


async def test_a_patch_that_changes_nothing_publishes_nothing(registration, nats_server):
    client = registration.client
    unit = await register(client, "kongtong", "unit-same")

    response = await client.patch(
        f"{API}/units/{unit['id']}",
        json={"name": " unit-same ", "kind": unit["kind"]},
        headers=KONGTONG,
    )

    assert response.status_code == 200 and response.json() == unit
    events = await events_so_far(registration, nats_server.url)
    assert [e["type"] for e in events] == ["expo.registration.unit.registered"]


async def test_renaming_to_a_name_taken_in_the_same_county_gets_409_naming_name(
    registration, nats_server
):
    client = registration.client
    await register(client, "kongtong", "平凉市农业科学院")
    unit = await register(client, "kongtong", "平凉市林业科学院")
    elsewhere = await register(client, "huating", "华亭煤业")

    taken = await client.patch(
        f"{API}/units/{unit['id']}", json={"name": " 平凉市农业科学院 "}, headers=KONGTONG
    )

    assert assert_problem(taken, 409, field="name")["rule"] == "name_taken"
    shown = await client.get(f"{API}/units/{unit['id']}", headers=KONGTONG)
    assert shown.json()["name"] == "平凉市林业科学院"
    # The same name in another county is fine.
    moved = await client.patch(
        f"{API}/units/{elsewhere['id']}", json={"name": "平凉市农业科学院"}, headers=COMMITTEE
    )
    assert moved.status_code == 200
    events = await events_so_far(registration, nats_server.url)
    assert [e["type"].rsplit(".", 1)[1] for e in events] == ["registered"] * 3 + ["updated"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"county": "huating"}, "county"),
        ({"name": ""}, "name"),
        ({"kind": "bank"}, "kind"),
        ({"contact_phone": "12345"}, "contact_phone"),
    ],
    ids=["county", "empty-name", "unknown-kind", "bad-phone"],
)
async def test_invalid_unit_patch_gets_422_and_changes_nothing(
    registration, nats_server, patch, field
):
    client = registration.client
    unit = await register(client, "kongtong", "unit-fixed")

    response = await client.patch(f"{API}/units/{unit['id']}", json=patch, headers=KONGTONG)

    assert_problem(response, 422, field=field)
    shown = await client.get(f"{API}/units/{unit['id']}", headers=KONGTONG)
    assert shown.json() == unit
    events = await events_so_far(registration, nats_server.url)
    assert [e["type"] for e in events] == ["expo.registration.unit.registered"]


@pytest.mark.parametrize("role", ["county:huating", "group:registration", "ops", "integrator"])
async def test_patching_a_unit_outside_ones_county_gets_403(registration, nats_server, role):
    client = registration.client
    unit = await register(client, "kongtong", "unit-kept")

    response = await client.patch(
        f"{API}/units/{unit['id']}", json={"name": "unit-taken-over"}, headers=token(role)
    )

    assert_problem(response, 403)
    shown = await client.get(f"{API}/units/{unit['id']}", headers=KONGTONG)
    assert shown.json() == unit
    events = await events_so_far(registration, nats_server.url)
    assert [e["type"] for e in events] == ["expo.registration.unit.registered"]


async def test_patching_an_unknown_unit_gets_404(registration):
    response = await registration.client.patch(
        f"{API}/units/{uuid.uuid4()}", json={"name": "x"}, headers=COMMITTEE
    )
    assert_problem(response, 404)


async def test_a_null_in_a_unit_patch_is_refused_not_ignored(registration):
    created = await registration.client.post(
        "/api/v1/units", json=unit_body("kongtong"), headers=token("committee")
    )
    answer = await registration.client.patch(
        f"/api/v1/units/{created.json()['id']}", json={"name": None}, headers=token("committee")
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "name"
