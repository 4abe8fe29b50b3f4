"""Placing approved achievements in booths over HTTP: every refusal names its rule and changes
nothing, the committee's override is recorded, booths are freed by hand or when registration
revokes an approval, and auto-allocation proposes a plan that is applied only when confirmed."""

import asyncio
import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.exhibitions.flow import (
    achievement_body,
    approved_achievement,
    county_hall,
    registration_and_exhibitions,
    wait_until_known,
)
from tests.support import eventually, stream_messages, token, unit_body

pytestmark = pytest.mark.db

API = "/api/v1"
COMMITTEE = token("committee", "committee-chair")
GROUP = token("group:exhibition", "exhibition-leader")
REVIEWER = token("group:registration", "registration-leader")
KONGTONG = token("county:kongtong", "kongtong-clerk")
HUATING = token("county:huating", "huating-clerk")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
async def stack(nats_server, databases, tmp_path):
    async with registration_and_exhibitions(nats_server.url, tmp_path) as stack:
        yield stack


async def scrape(stack) -> str:
    response = await stack.exhibitions.client.get("/metrics")
    assert response.status_code == 200
    return response.text


def metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


async def events(stack, nats_url: str, kind: str = ">") -> list[dict]:
    """Every exhibitions event of `kind` on the bus, once everything committed is published."""

    async def published():
        return metric(await scrape(stack), "expo_outbox_backlog") == 0.0

    await eventually(published, what="the exhibitions outbox is empty")
    messages = await stream_messages(nats_url, f"expo.exhibitions.{kind}", settle=0.1)
    return [json.loads(m.data) for m in messages]


async def known_approved(stack, county: str = "kongtong", **overrides) -> dict:
    achievement = await approved_achievement(stack, county, **overrides)
    await wait_until_known(stack, achievement["id"])
    return achievement


async def submitted_only(stack, county: str = "kongtong", **overrides) -> dict:
    reg = stack.registration.client
    unit = (await reg.post(f"{API}/units", json=unit_body(county), headers=COMMITTEE)).json()
    created = await reg.post(
        f"{API}/achievements",
        json=achievement_body(unit["id"], **overrides),
        headers=token(f"county:{county}"),
    )
    assert created.status_code == 201, created.text
    achievement = created.json()
    submitted = await reg.post(
        f"{API}/achievements/{achievement['id']}/submit", headers=token(f"county:{county}")
    )
    assert submitted.status_code == 200, submitted.text
    await wait_until_known(stack, achievement["id"], "submitted")
    return achievement


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
    return hall.json() | {"booth_list": added.json()}


def booth(hall: dict, code: str) -> dict:
    return next(b for b in hall["booth_list"] if b["code"] == code)


async def assign(stack, booth_id: str, achievement_id: str, headers=COMMITTEE, **extra):
    return await stack.exhibitions.client.post(
        f"{API}/booths/{booth_id}/assignment",
        json={"achievement_id": achievement_id} | extra,
        headers=headers,
    )


async def floor(stack, *halls: dict) -> dict[str, str | None]:
    """booth code -> achievement id, for the given halls."""
    placed: dict[str, str | None] = {}
    for hall in halls:
        listed = await stack.exhibitions.client.get(
            f"{API}/halls/{hall['id']}/booths", headers=COMMITTEE
        )
        placed |= {f"{hall['code']}/{b['code']}": b["achievement_id"] for b in listed.json()}
    return placed


async def refused_and_unchanged(stack, nats_url, halls, request, status: int) -> dict:
    """Makes the request and checks that it was refused with `status` and changed nothing."""
    before = (await floor(stack, *halls), await events(stack, nats_url))
    answer = await request()
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert (await floor(stack, *halls), await events(stack, nats_url)) == before
    return answer.json()


def fields(problem: dict) -> list[str]:
    return [e["field"] for e in problem.get("errors", [])]


# --- refusals ----------------------------------------------------------------------------------


async def test_an_achievement_only_submitted_in_registration_is_not_approved(stack, nats_server):
    achievement = await submitted_only(stack)
    hall = await county_hall(stack)
    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: assign(stack, booth(hall, "A1")["id"], achievement["id"], KONGTONG),
        409,
    )
    assert problem["rule"] == "not_approved"
    assert fields(problem) == ["achievement_id"]


async def test_an_unknown_achievement_is_invalid_input_naming_achievement_id(stack, nats_server):
    hall = await county_hall(stack)
    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: assign(stack, booth(hall, "A1")["id"], UNKNOWN_ID, KONGTONG),
        422,
    )
    assert fields(problem) == ["achievement_id"]


async def test_an_unknown_booth_is_not_found(stack):
    achievement = await known_approved(stack)
    answer = await assign(stack, UNKNOWN_ID, achievement["id"])
    assert answer.status_code == 404


async def test_a_taken_booth_is_refused(stack, nats_server):
    first = await known_approved(stack, title="第一项")
    second = await known_approved(stack, title="第二项")
    hall = await county_hall(stack)
    a2 = booth(hall, "A2")["id"]
    assert (await assign(stack, a2, first["id"], KONGTONG)).status_code == 200
    problem = await refused_and_unchanged(
        stack, nats_server.url, [hall], lambda: assign(stack, a2, second["id"], KONGTONG), 409
    )
    assert problem["rule"] == "booth_taken"


async def test_an_achievement_already_in_another_booth_is_refused(stack, nats_server):
    achievement = await known_approved(stack)
    hall = await county_hall(stack)
    assert (await assign(stack, booth(hall, "A1")["id"], achievement["id"])).status_code == 200
    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: assign(stack, booth(hall, "A2")["id"], achievement["id"]),
        409,
    )
    assert problem["rule"] == "already_assigned"
    assert fields(problem) == ["achievement_id"]


@pytest.mark.parametrize(
    ("needs", "rule"),
    [({"floor_area_m2": 9.5}, "area"), ({"power_kw": 2.5}, "power")],
    ids=["area", "power"],
)
async def test_an_achievement_that_does_not_fit_the_booth_is_refused(
    stack, nats_server, needs, rule
):
    achievement = await known_approved(stack, **needs)
    hall = await county_hall(stack)  # A1: 9 m², 2 kW
    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: assign(stack, booth(hall, "A1")["id"], achievement["id"], KONGTONG),
        409,
    )
    assert problem["rule"] == rule


async def test_a_county_may_not_assign_into_another_countys_hall(stack, nats_server):
    achievement = await known_approved(stack, "kongtong")
    hall = await county_hall(stack, "huating")
    await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: assign(stack, booth(hall, "A1")["id"], achievement["id"], KONGTONG),
        403,
    )


@pytest.mark.parametrize(
    "headers", [GROUP, COMMITTEE, HUATING], ids=["exhibition-group", "committee", "hall-county"]
)
async def test_another_countys_achievement_needs_an_override(stack, nats_server, headers):
    achievement = await known_approved(stack, "kongtong")
    hall = await county_hall(stack, "huating")
    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: assign(stack, booth(hall, "A1")["id"], achievement["id"], headers),
        409,
    )
    assert problem["rule"] == "other_county"


async def test_the_committee_overrides_the_county_rule_and_the_override_is_recorded(
    stack, nats_server
):
    achievement = await known_approved(stack, "kongtong")
    hall = await county_hall(stack, "huating")
    note = "崆峒区展品与华亭市联合展示"
    answer = await assign(
        stack, booth(hall, "A1")["id"], achievement["id"], COMMITTEE, override=True, note=note
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["achievement_id"] == achievement["id"]
    assert answer.json()["override_note"] == note
    assert answer.json()["assigned_by"] == "committee-chair"
    [listed] = [
        b
        for b in (
            await stack.exhibitions.client.get(f"{API}/halls/{hall['id']}/booths", headers=HUATING)
        ).json()
        if b["code"] == "A1"
    ]
    assert listed["override_note"] == note

    [assigned] = await events(stack, nats_server.url, "booth.assigned")
    assert assigned["data"]["override"] is True
    assert assigned["data"]["note"] == note
    assert assigned["data"]["achievement_county"] == "kongtong"
    assert assigned["data"]["county"] == "huating"
    assert assigned["actor"] == "committee-chair"


async def test_an_override_without_a_note_is_invalid_input(stack, nats_server):
    achievement = await known_approved(stack, "kongtong")
    hall = await county_hall(stack, "huating")
    for extra in ({"override": True}, {"override": True, "note": "   "}):
        problem = await refused_and_unchanged(
            stack,
            nats_server.url,
            [hall],
            lambda extra=extra: assign(
                stack, booth(hall, "A1")["id"], achievement["id"], COMMITTEE, **extra
            ),
            422,
        )
        assert fields(problem) == ["note"]


@pytest.mark.parametrize("headers", [GROUP, HUATING], ids=["exhibition-group", "hall-county"])
async def test_only_the_committee_may_override(stack, nats_server, headers):
    achievement = await known_approved(stack, "kongtong")
    hall = await county_hall(stack, "huating")
    await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: assign(
            stack,
            booth(hall, "A1")["id"],
            achievement["id"],
            headers,
            override=True,
            note="想借用展位",
        ),
        403,
    )


async def test_an_override_does_not_make_a_booth_bigger(stack, nats_server):
    achievement = await known_approved(stack, "kongtong", floor_area_m2=12)
    hall = await county_hall(stack, "huating")  # A1: 9 m²
    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: assign(
            stack, booth(hall, "A1")["id"], achievement["id"], override=True, note="联合展示"
        ),
        409,
    )
    assert problem["rule"] == "area"


# --- freeing booths ----------------------------------------------------------------------------


async def test_rejecting_an_assigned_achievement_in_registration_frees_its_booth(
    stack, nats_server
):
    achievement = await known_approved(stack)
    hall = await county_hall(stack)
    a1 = booth(hall, "A1")
    assert (await assign(stack, a1["id"], achievement["id"], KONGTONG)).status_code == 200

    rejected = await stack.registration.client.post(
        f"{API}/achievements/{achievement['id']}/reject",
        json={"reason": "材料与实物不符"},
        headers=REVIEWER,
    )
    assert rejected.status_code == 200, rejected.text

    async def released():
        return len(await events(stack, nats_server.url, "booth.released")) == 1

    await eventually(released, what="booth.released after the rejection")
    [event] = await events(stack, nats_server.url, "booth.released")
    assert event["data"]["reason"] == "achievement_rejected"
    assert event["data"]["achievement_id"] == achievement["id"]
    assert event["data"]["booth_id"] == a1["id"]
    assert (await floor(stack, hall))["kongtong-hall/A1"] is None
    await wait_until_known(stack, achievement["id"], "rejected")
    text = await scrape(stack)
    labels = {"hall": "kongtong-hall", "county": "kongtong"}
    booths = "expo_exhibitions_booths"
    assert (
        metric(text, booths, **labels, state="assigned"),
        metric(text, booths, **labels, state="free"),
    ) == (0, 2)


async def test_a_booth_is_released_by_hand_with_a_reason(stack, nats_server):
    achievement = await known_approved(stack)
    hall = await county_hall(stack)
    a1 = booth(hall, "A1")["id"]
    assert (await assign(stack, a1, achievement["id"], KONGTONG)).status_code == 200
    for body in ({}, {"reason": ""}):
        problem = await refused_and_unchanged(
            stack,
            nats_server.url,
            [hall],
            lambda body=body: stack.exhibitions.client.post(
                f"{API}/booths/{a1}/release", json=body, headers=KONGTONG
            ),
            422,
        )
        assert fields(problem) == ["reason"]

    released = await stack.exhibitions.client.post(
        f"{API}/booths/{a1}/release", json={"reason": "展品改到主会场"}, headers=KONGTONG
    )
    assert released.status_code == 200, released.text
    assert released.json()["achievement_id"] is None
    [event] = await events(stack, nats_server.url, "booth.released")
    assert event["data"]["reason"] == "released_by_hand: 展品改到主会场"
    assert event["data"]["achievement_id"] == achievement["id"]
    assert event["actor"] == "kongtong-clerk"

    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: stack.exhibitions.client.post(
            f"{API}/booths/{a1}/release", json={"reason": "again"}, headers=KONGTONG
        ),
        409,
    )
    assert problem["rule"] == "booth_free"


async def test_a_county_may_not_release_another_countys_booth(stack, nats_server):
    achievement = await known_approved(stack)
    hall = await county_hall(stack)
    a1 = booth(hall, "A1")["id"]
    assert (await assign(stack, a1, achievement["id"], KONGTONG)).status_code == 200
    await refused_and_unchanged(
        stack,
        nats_server.url,
        [hall],
        lambda: stack.exhibitions.client.post(
            f"{API}/booths/{a1}/release", json={"reason": "占用"}, headers=HUATING
        ),
        403,
    )


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
    assert plan["hall_id"] is None and plan["confirmed_at"] is None
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
    assert len(await events(stack, nats_server.url, "booth.assigned")) == 1  # only proposed

    confirmed = await stack.exhibitions.client.post(
        f"{API}/allocation-plans/{plan['id']}/confirm", headers=GROUP
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed_by"] == "exhibition-leader"
    assert await floor(stack, kongtong, themed) == {
        "kongtong-hall/A1": achievements["k-small"]["id"],
        "kongtong-hall/A2": achievements["k-big"]["id"],
        "kongtong-hall/A3": None,
        "kongtong-hall/A4": achievements["k-placed"]["id"],
        "science-hall/T1": achievements["k-extra"]["id"],
        "science-hall/T2": achievements["h-one"]["id"],
    }
    assigned = await events(stack, nats_server.url, "booth.assigned")
    assert sorted(e["data"]["title"] for e in assigned) == [
        "h-one",
        "k-big",
        "k-extra",
        "k-placed",
        "k-small",
    ]

    text = await scrape(stack)
    booths = "expo_exhibitions_booths"
    assert metric(text, booths, hall="kongtong-hall", county="kongtong", state="assigned") == 3
    assert metric(text, booths, hall="kongtong-hall", county="kongtong", state="free") == 1
    assert metric(text, booths, hall="science-hall", county="", state="assigned") == 2
    assert metric(text, booths, hall="science-hall", county="", state="free") == 0
    left = await stack.exhibitions.client.get(
        f"{API}/exhibits", params={"status": "approved", "unassigned": "true"}, headers=COMMITTEE
    )
    assert sorted(e["title"] for e in left.json()) == ["h-power", "k-huge"]


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
    winner = next(a for a in answers if a.status_code == 200).json()["achievement_id"]
    assert (await floor(stack, hall))["kongtong-hall/A1"] == winner
    [assigned] = await events(stack, nats_server.url, "booth.assigned")
    assert assigned["data"]["achievement_id"] == winner


async def test_one_achievement_sent_to_two_booths_at_once_takes_one(stack, nats_server):
    achievement = await known_approved(stack)
    hall = await county_hall(stack)
    answers = await asyncio.gather(
        assign(stack, booth(hall, "A1")["id"], achievement["id"], KONGTONG),
        assign(stack, booth(hall, "A2")["id"], achievement["id"], GROUP),
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    placed = [code for code, a in (await floor(stack, hall)).items() if a == achievement["id"]]
    assert len(placed) == 1
    assert len(await events(stack, nats_server.url, "booth.assigned")) == 1


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
    assert len(await events(stack, nats_server.url, "booth.assigned")) == 1


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
    assert len(await events(stack, nats_server.url, "booth.assigned")) == 2
    assert None not in (await floor(stack, hall)).values()
