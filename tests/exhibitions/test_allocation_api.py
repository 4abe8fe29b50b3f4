"""Auto-allocation over HTTP (a plan proposed, applied only when confirmed, all or nothing),
the list of exhibits with its filters, and requests that meet at the same time: two for one
booth, two confirmations of a plan, and one assignment retried at once with its key."""

import asyncio

import pytest
from sqlalchemy import select

from tests.exhibitions.flow import (
    API,
    COMMITTEE,
    GROUP,
    KONGTONG,
    approved_achievement,
    assign,
    booth,
    county_hall,
    events,
    floor,
    items,
    known_approved,
    refused_and_unchanged,
    registration_and_exhibitions,
    submitted_only,
    wait_until_known,
)
from tests.support import metric, scrape

pytestmark = pytest.mark.db


@pytest.fixture
async def stack(nats_server, databases, tmp_path):
    async with registration_and_exhibitions(nats_server.url, tmp_path) as stack:
        yield stack


async def themed_hall(stack, booths: list[dict], code: str = "science-hall") -> dict:
    exh = stack.exhibitions.client
    hall = await exh.post(
        f"{API}/halls",
        json={"code": code, "name": "科技创新主题馆", "kind": "themed"},
        headers=GROUP,
    )
    assert hall.status_code == 201, hall.text
    added = await exh.post(
        f"{API}/halls/{hall.json()['id']}/booths", json={"booths": booths}, headers=GROUP
    )
    assert added.status_code == 201, added.text
    return hall.json() | {"booth_list": added.json()["items"]}


# --- exhibits ----------------------------------------------------------------------------------


async def test_exhibits_are_a_page_filtered_by_status_and_county(stack):
    kongtong = await known_approved(stack, "kongtong", title="甲")
    huating = await known_approved(stack, "huating", title="乙")
    pending = await submitted_only(stack, "kongtong", title="丙")
    client = stack.exhibitions.client

    page = await client.get(f"{API}/exhibits", params={"limit": 2, "offset": 1}, headers=GROUP)
    assert page.status_code == 200, page.text
    assert {k: v for k, v in page.json().items() if k != "items"} == {
        "total": 3,
        "limit": 2,
        "offset": 1,
    }
    everything = await items(stack.exhibitions, "/exhibits")
    assert page.json()["items"] == everything[1:3]
    assert [e["county"] for e in everything] == ["huating", "kongtong", "kongtong"]
    assert {e["achievement_id"] for e in everything} == {
        kongtong["id"],
        huating["id"],
        pending["id"],
    }

    approved = await items(stack.exhibitions, "/exhibits", status="approved")
    assert {e["title"] for e in approved} == {"甲", "乙"}
    ours = await items(stack.exhibitions, "/exhibits", status="approved", county="kongtong")
    assert [e["achievement_id"] for e in ours] == [kongtong["id"]]
    submitted = await items(stack.exhibitions, "/exhibits", status="submitted")
    assert [(e["title"], e["status"]) for e in submitted] == [("丙", "submitted")]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "aproved"}, "status"),
        ({"county": "atlantis"}, "county"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
    ],
    ids=["misspelt-status", "unknown-county", "no-limit", "limit-too-big", "negative-offset"],
)
async def test_an_unknown_filter_value_is_invalid_input_not_an_empty_list(stack, params, field):
    await known_approved(stack)
    answer = await stack.exhibitions.client.get(f"{API}/exhibits", params=params, headers=GROUP)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == [field]


# --- auto-allocation ---------------------------------------------------------------------------


async def test_auto_allocation_for_all_halls_fills_county_halls_first_then_themed_halls(
    stack, nats_server
):
    achievements = {}
    for county, title, area, power in (
        ("kongtong", "k-huge", 60, 1),
        ("kongtong", "k-big", 16, 1),
        ("kongtong", "k-extra", 10, 1),
        ("kongtong", "k-small", 8, 1),
        ("kongtong", "k-placed", 4, 1),
        ("huating", "h-one", 5, 1),
        ("huating", "h-power", 5, 20),
    ):
        achievements[title] = await approved_achievement(
            stack, county, title=title, floor_area_m2=area, power_kw=power
        )
    draft = await submitted_only(stack, title="k-submitted", floor_area_m2=4)
    for a in achievements.values():
        await wait_until_known(stack, a["id"])
    kongtong = await county_hall(
        stack,
        "kongtong",
        [
            {"code": "A1", "area_m2": 9, "power_kw": 2},
            {"code": "A2", "area_m2": 18, "power_kw": 5},
            {"code": "A3", "area_m2": 6, "power_kw": 1},
            {"code": "A4", "area_m2": 4, "power_kw": 1},
        ],
    )
    themed = await themed_hall(
        stack,
        [
            {"code": "T1", "area_m2": 20, "power_kw": 5},
            {"code": "T2", "area_m2": 30, "power_kw": 10},
        ],
    )
    placed_by_hand = await assign(
        stack, booth(kongtong, "A4")["id"], achievements["k-placed"]["id"]
    )
    assert placed_by_hand.status_code == 200

    proposed = await stack.exhibitions.client.post(
        f"{API}/allocation-plans", json={}, headers=GROUP
    )
    assert proposed.status_code == 201, proposed.text
    plan = proposed.json()
    assert proposed.headers["Location"] == f"{API}/allocation-plans/{plan['id']}"
    assert plan["hall_id"] is None and plan["confirmed_at"] is None
    assert plan["created_at"].endswith("Z")
    hall_code = {kongtong["id"]: "kongtong-hall", themed["id"]: "science-hall"}
    assert {p["title"]: (hall_code[p["hall_id"]], p["booth_code"]) for p in plan["placements"]} == {
        "k-big": ("kongtong-hall", "A2"),
        "k-small": ("kongtong-hall", "A1"),
        "k-extra": ("science-hall", "T1"),  # nothing of 10 m² left in its own hall
        "h-one": ("science-hall", "T2"),  # no huating hall; never kongtong's free A3
    }
    unplaced = {u["title"]: u["reason"] for u in plan["unplaced"]}
    assert set(unplaced) == {"k-huge", "h-power"}  # never the submitted or the placed one
    assert "60 m²" in unplaced["k-huge"] and "themed halls" in unplaced["k-huge"]
    assert "huating hall in this plan" in unplaced["h-power"] and "20 kW" in unplaced["h-power"]
    assert draft["id"] not in {p["achievement_id"] for p in plan["placements"]}
    assert (
        len(await events(stack.exhibitions, nats_server.url, "booth.assigned")) == 1
    )  # only proposed

    confirmed = await stack.exhibitions.client.post(
        f"{API}/allocation-plans/{plan['id']}/confirm", headers=GROUP
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed_by"] == "exhibition-leader"
    assert confirmed.json()["confirmed_at"].endswith("Z")
    assert await floor(stack, kongtong, themed) == {
        "kongtong-hall/A1": achievements["k-small"]["id"],
        "kongtong-hall/A2": achievements["k-big"]["id"],
        "kongtong-hall/A3": None,
        "kongtong-hall/A4": achievements["k-placed"]["id"],
        "science-hall/T1": achievements["k-extra"]["id"],
        "science-hall/T2": achievements["h-one"]["id"],
    }
    assigned = await events(stack.exhibitions, nats_server.url, "booth.assigned")
    assert sorted(e["data"]["title"] for e in assigned) == [
        "h-one",
        "k-big",
        "k-extra",
        "k-placed",
        "k-small",
    ]

    text = await scrape(stack.exhibitions)
    booths = "expo_exhibitions_booths"
    assert metric(text, booths, hall="kongtong-hall", county="kongtong", state="assigned") == 3
    assert metric(text, booths, hall="kongtong-hall", county="kongtong", state="free") == 1
    assert metric(text, booths, hall="science-hall", county="", state="assigned") == 2
    assert metric(text, booths, hall="science-hall", county="", state="free") == 0
    left = await items(stack.exhibitions, "/exhibits", status="approved", unassigned="true")
    assert sorted(e["title"] for e in left) == ["h-power", "k-huge"]


async def test_a_plan_overtaken_by_a_manual_assignment_is_stale_and_applies_nothing(
    stack, nats_server
):
    small = await known_approved(stack, title="小型展品", floor_area_m2=8)
    big = await known_approved(stack, title="大型展品", floor_area_m2=16)
    hall = await county_hall(stack)  # A1 9 m², A2 18 m²
    plan = (
        await stack.exhibitions.client.post(
            f"{API}/allocation-plans", json={"hall_id": hall["id"]}, headers=KONGTONG
        )
    ).json()
    assert {p["title"]: p["booth_code"] for p in plan["placements"]} == {
        "小型展品": "A1",
        "大型展品": "A2",
    }
    # Before it is confirmed, another achievement is put in A1 by hand.
    late = await known_approved(stack, title="后到展品", floor_area_m2=8)
    assert (await assign(stack, booth(hall, "A1")["id"], late["id"], KONGTONG)).status_code == 200

    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: stack.exhibitions.client.post(
            f"{API}/allocation-plans/{plan['id']}/confirm", headers=KONGTONG
        ),
        409,
    )
    assert problem["rule"] == "stale_plan"
    assert await floor(stack, hall) == {"kongtong-hall/A1": late["id"], "kongtong-hall/A2": None}
    shown = await stack.exhibitions.client.get(
        f"{API}/allocation-plans/{plan['id']}", headers=COMMITTEE
    )
    assert shown.json()["confirmed_at"] is None
    assert {p["achievement_id"] for p in shown.json()["placements"]} == {small["id"], big["id"]}


async def test_a_plan_whose_achievement_was_withdrawn_meanwhile_is_stale(stack, nats_server):
    achievement = await known_approved(stack)
    hall = await county_hall(stack)
    plan = (
        await stack.exhibitions.client.post(
            f"{API}/allocation-plans", json={"hall_id": hall["id"]}, headers=KONGTONG
        )
    ).json()
    assert [p["achievement_id"] for p in plan["placements"]] == [achievement["id"]]
    withdrawn = await stack.registration.client.post(
        f"{API}/achievements/{achievement['id']}/withdraw", headers=KONGTONG
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await wait_until_known(stack, achievement["id"], "withdrawn")

    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: stack.exhibitions.client.post(
            f"{API}/allocation-plans/{plan['id']}/confirm", headers=KONGTONG
        ),
        409,
    )
    assert problem["rule"] == "stale_plan"


async def test_a_county_may_not_plan_all_halls_or_another_countys_hall(stack, nats_server):
    await known_approved(stack, "huating")
    huating = await county_hall(stack, "huating")
    for body in ({}, {"hall_id": huating["id"]}):
        answer = await stack.exhibitions.client.post(
            f"{API}/allocation-plans", json=body, headers=KONGTONG
        )
        assert answer.status_code == 403, answer.text
    assert (
        await stack.exhibitions.client.post(f"{API}/allocation-plans", json={}, headers=COMMITTEE)
    ).status_code == 201


# --- at the same time --------------------------------------------------------------------------


async def test_two_achievements_sent_to_one_booth_at_once_place_one(stack, nats_server):
    first = await known_approved(stack, title="甲")
    second = await known_approved(stack, title="乙")
    hall = await county_hall(stack)
    a1 = booth(hall, "A1")["id"]
    answers = await asyncio.gather(
        assign(stack, a1, first["id"], KONGTONG), assign(stack, a1, second["id"], GROUP)
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert {a.json().get("rule") for a in answers if a.status_code == 409} == {"booth_taken"}
    winner = next(a for a in answers if a.status_code == 200).json()["achievement_id"]
    assert (await floor(stack, hall))["kongtong-hall/A1"] == winner
    [assigned] = await events(stack.exhibitions, nats_server.url, "booth.assigned")
    assert assigned["data"]["achievement_id"] == winner


async def test_one_achievement_sent_to_two_booths_at_once_takes_one(stack, nats_server):
    achievement = await known_approved(stack)
    hall = await county_hall(stack)
    answers = await asyncio.gather(
        assign(stack, booth(hall, "A1")["id"], achievement["id"], KONGTONG),
        assign(stack, booth(hall, "A2")["id"], achievement["id"], GROUP),
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409).json()
    assert (refused["rule"], refused["errors"][0]["field"]) == (
        "already_assigned",
        "achievement_id",
    )
    placed = [code for code, a in (await floor(stack, hall)).items() if a == achievement["id"]]
    assert len(placed) == 1
    assert len(await events(stack.exhibitions, nats_server.url, "booth.assigned")) == 1


async def test_a_retried_assignment_with_the_same_idempotency_key_places_once(stack, nats_server):
    achievement = await known_approved(stack)
    hall = await county_hall(stack)
    url = f"{API}/booths/{booth(hall, 'A1')['id']}/assignment"
    headers = KONGTONG | {"Idempotency-Key": "assign-A1-once"}
    body = {"achievement_id": achievement["id"]}
    first = await stack.exhibitions.client.post(url, json=body, headers=headers)
    again = await stack.exhibitions.client.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(await events(stack.exhibitions, nats_server.url, "booth.assigned")) == 1


async def test_six_identical_assignments_at_once_with_one_key_place_once_and_replay_the_answer(
    stack, nats_server
):
    """The retries wait for the first to commit and replay its answer: none of them meets the
    booth it just took as "taken" (booth_taken)."""
    achievement = await known_approved(stack)
    hall = await county_hall(stack)
    url = f"{API}/booths/{booth(hall, 'A1')['id']}/assignment"
    headers = KONGTONG | {"Idempotency-Key": "assign-A1-six-at-once"}
    body = {"achievement_id": achievement["id"]}

    answers = await asyncio.gather(
        *(stack.exhibitions.client.post(url, json=body, headers=headers) for _ in range(6))
    )
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    first = answers[0].json()
    assert first["achievement_id"] == achievement["id"]
    assert all(a.json() == first for a in answers)
    replayed = [a.headers.get("Idempotent-Replayed") for a in answers]
    assert sorted(replayed, key=str) == [None] + ["true"] * 5, replayed

    assert (await floor(stack, hall))["kongtong-hall/A1"] == achievement["id"]
    outbox = stack.exhibitions.runtime.outbox
    async with stack.exhibitions.runtime.sessions() as session:
        stored = list(
            await session.scalars(
                select(outbox.c.subject).where(outbox.c.subject.like("%.booth.assigned"))
            )
        )
    assert stored == ["expo.exhibitions.booth.assigned"]
    [assigned] = await events(stack.exhibitions, nats_server.url, "booth.assigned")
    assert assigned["data"]["achievement_id"] == achievement["id"]
    assert assigned["data"]["booth_id"] == first["id"]


async def test_a_plan_confirmed_twice_at_once_is_applied_once(stack, nats_server):
    await known_approved(stack, title="小型展品", floor_area_m2=8)
    await known_approved(stack, title="大型展品", floor_area_m2=16)
    hall = await county_hall(stack)
    plan = (
        await stack.exhibitions.client.post(
            f"{API}/allocation-plans", json={"hall_id": hall["id"]}, headers=KONGTONG
        )
    ).json()
    assert len(plan["placements"]) == 2
    confirm = f"{API}/allocation-plans/{plan['id']}/confirm"
    answers = await asyncio.gather(
        stack.exhibitions.client.post(confirm, headers=KONGTONG),
        stack.exhibitions.client.post(confirm, headers=GROUP),
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert len(await events(stack.exhibitions, nats_server.url, "booth.assigned")) == 2
    assert None not in (await floor(stack, hall)).values()
