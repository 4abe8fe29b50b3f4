"""Placing approved achievements in booths over HTTP: every refusal names its rule and changes
nothing, an achievement exhibitions never heard of is not found, the committee's override is
recorded, and booths are freed by hand or when registration revokes an approval."""

import pytest

from tests.exhibitions.flow import (
    API,
    COMMITTEE,
    GROUP,
    KONGTONG,
    UNKNOWN_ID,
    assign,
    booth,
    county_hall,
    events,
    fields,
    floor,
    items,
    known_approved,
    refused_and_unchanged,
    registration_and_exhibitions,
    submitted_only,
    wait_until_known,
)
from tests.support import eventually, metric, scrape, token

pytestmark = pytest.mark.db

REVIEWER = token("group:registration", "registration-leader")
HUATING = token("county:huating", "huating-clerk")


@pytest.fixture
async def stack(nats_server, databases, tmp_path):
    async with registration_and_exhibitions(nats_server.url, tmp_path) as stack:
        yield stack


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


async def test_an_achievement_exhibitions_never_heard_of_is_not_found_naming_it(stack, nats_server):
    hall = await county_hall(stack)
    for headers, extra in ((KONGTONG, {}), (COMMITTEE, {"override": True, "note": "联合展示"})):
        problem = await refused_and_unchanged(
            stack,
            nats_server.url,
            [hall],
            lambda headers=headers, extra=extra: assign(
                stack, booth(hall, "A1")["id"], UNKNOWN_ID, headers, **extra
            ),
            404,
        )
        assert problem["type"] == "/problems/not-found"
        assert fields(problem) == ["achievement_id"]
        assert UNKNOWN_ID in problem["detail"]
        assert "rule" not in problem


async def test_an_unknown_booth_is_not_found(stack):
    achievement = await known_approved(stack)
    answer = await assign(stack, UNKNOWN_ID, achievement["id"])
    assert answer.status_code == 404
    assert answer.json()["type"] == "/problems/not-found"
    assert fields(answer.json()) == ["booth_id"]


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
        for b in await items(stack.exhibitions, f"/halls/{hall['id']}/booths")
        if b["code"] == "A1"
    ]
    assert listed["override_note"] == note

    [assigned] = await events(stack.exhibitions, nats_server.url, "booth.assigned")
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
        return len(await events(stack.exhibitions, nats_server.url, "booth.released")) == 1

    await eventually(released, what="booth.released after the rejection")
    [event] = await events(stack.exhibitions, nats_server.url, "booth.released")
    assert event["data"]["reason"] == "achievement_rejected"
    assert event["data"]["achievement_id"] == achievement["id"]
    assert event["data"]["booth_id"] == a1["id"]
    assert (await floor(stack, hall))["kongtong-hall/A1"] is None
    await wait_until_known(stack, achievement["id"], "rejected")
    text = await scrape(stack.exhibitions)
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
    [event] = await events(stack.exhibitions, nats_server.url, "booth.released")
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
