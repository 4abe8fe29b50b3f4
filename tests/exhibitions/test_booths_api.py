"""Booths over HTTP: added in bulk, all or nothing, answered as a page with its Location, one
event each; codes unique within a hall; a county only in its own hall."""

import pytest

from tests.exhibitions.flow import (
    API,
    COMMITTEE,
    GROUP,
    KONGTONG,
    create_hall,
    error_fields,
    events,
    page,
)
from tests.support import running_service, service_settings, token

pytestmark = pytest.mark.db

HUATING = token("county:huating", "huating-clerk")


@pytest.fixture
async def exhibitions(nats_server, databases, tmp_path):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("exhibitions", settings) as svc:
        yield svc


BOOTHS = [
    {"code": "A1", "area_m2": 9, "power_kw": 2},
    {"code": "A2", "area_m2": 18, "power_kw": 5},
    {"code": "B1", "area_m2": 36.5},
]


async def booths_of(svc, hall_id: str) -> list[dict]:
    return (await page(svc, f"/halls/{hall_id}/booths", limit=200))["items"]


async def test_booths_are_added_in_bulk_with_one_event_each(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    added = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json={"booths": BOOTHS}, headers=KONGTONG
    )
    assert added.status_code == 201, added.text
    assert added.headers["Location"] == f"{API}/halls/{hall['id']}/booths"
    assert {k: v for k, v in added.json().items() if k != "items"} == {
        "total": 3,
        "limit": 3,
        "offset": 0,
    }
    assert [(b["code"], b["area_m2"], b["power_kw"]) for b in added.json()["items"]] == [
        ("A1", 9, 2),
        ("A2", 18, 5),
        ("B1", 36.5, 0),
    ]
    assert all(b["achievement_id"] is None for b in added.json()["items"])
    assert await booths_of(exhibitions, hall["id"]) == added.json()["items"]
    second = await page(exhibitions, f"/halls/{hall['id']}/booths", limit=1, offset=1)
    assert [b["code"] for b in second["items"]] == ["A2"] and second["total"] == 3
    shown = await exhibitions.client.get(f"{API}/halls/{hall['id']}", headers=COMMITTEE)
    assert (shown.json()["booths"], shown.json()["booths_assigned"]) == (3, 0)

    created = await events(exhibitions, nats_server.url, "booth.created")
    assert sorted(
        (e["data"]["code"], e["data"]["hall_id"], e["data"]["county"], e["data"]["area_m2"])
        for e in created
    ) == [
        ("A1", hall["id"], "kongtong", 9),
        ("A2", hall["id"], "kongtong", 18),
        ("B1", hall["id"], "kongtong", 36.5),
    ]
    assert {e["data"]["booth_id"] for e in created} == {b["id"] for b in added.json()["items"]}


async def test_booths_added_again_with_the_same_key_replay_the_page_and_its_location(
    exhibitions, nats_server
):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    url = f"{API}/halls/{hall['id']}/booths"
    headers = KONGTONG | {"Idempotency-Key": "booths-of-kongtong-hall"}
    first = await exhibitions.client.post(url, json={"booths": BOOTHS}, headers=headers)
    again = await exhibitions.client.post(url, json={"booths": BOOTHS}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"] == url
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(await booths_of(exhibitions, hall["id"])) == 3
    assert len(await events(exhibitions, nats_server.url, "booth.created")) == 3


async def test_the_same_booth_code_may_be_used_in_another_hall(exhibitions):
    kongtong = await create_hall(exhibitions, code="kongtong-hall")
    themed = await create_hall(exhibitions, headers=GROUP, code="tech", kind="themed", county=None)
    for hall, headers in ((kongtong, KONGTONG), (themed, GROUP)):
        added = await exhibitions.client.post(
            f"{API}/halls/{hall['id']}/booths", json={"booths": BOOTHS[:1]}, headers=headers
        )
        assert added.status_code == 201, added.text


async def test_a_code_repeated_in_the_request_is_invalid_and_adds_nothing(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    body = {"booths": [*BOOTHS, {"code": "A2", "area_m2": 4}]}
    answer = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json=body, headers=KONGTONG
    )
    assert answer.status_code == 422, answer.text
    assert error_fields(answer) == ["booths"]
    assert "A2" in answer.json()["detail"]
    assert await booths_of(exhibitions, hall["id"]) == []
    assert await events(exhibitions, nats_server.url, "booth.created") == []


async def test_a_code_the_hall_already_has_is_a_conflict_and_adds_nothing(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    first = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json={"booths": BOOTHS[:1]}, headers=KONGTONG
    )
    assert first.status_code == 201
    body = {"booths": [{"code": "C1", "area_m2": 12}, {"code": "A1", "area_m2": 12}]}
    answer = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json=body, headers=KONGTONG
    )
    assert answer.status_code == 409, answer.text
    assert answer.json()["rule"] == "booth_code_unique"
    assert error_fields(answer) == ["booths"]
    assert [b["code"] for b in await booths_of(exhibitions, hall["id"])] == ["A1"]
    assert len(await events(exhibitions, nats_server.url, "booth.created")) == 1


@pytest.mark.parametrize("area", [0, -4], ids=["zero", "negative"])
async def test_a_booth_without_area_is_invalid_and_the_batch_adds_nothing(
    exhibitions, nats_server, area
):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    body = {"booths": [BOOTHS[0], {"code": "Z9", "area_m2": area}, BOOTHS[1]]}
    answer = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json=body, headers=KONGTONG
    )
    assert answer.status_code == 422, answer.text
    assert error_fields(answer) == ["booths.1.area_m2"]
    assert await booths_of(exhibitions, hall["id"]) == []
    assert await events(exhibitions, nats_server.url, "booth.created") == []


async def test_a_county_may_not_add_booths_to_another_countys_hall(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    answer = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json={"booths": BOOTHS}, headers=HUATING
    )
    assert answer.status_code == 403
    assert await booths_of(exhibitions, hall["id"]) == []
    assert await events(exhibitions, nats_server.url, "booth.created") == []
